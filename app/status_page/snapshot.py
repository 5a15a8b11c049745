"""One look at every service the container holds: is it answering, and its figures. Each
is probed on its own within a timeout, so one that is down or hung marks only its own card."""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from app.service_status import ping_service, read_stats
from containers.discovery import Service, services

KEY_FIGURES: Final = (  # the pool's, the cache's, then the scheduler's
    *("status", "in_use_connections", "available_connections", "waiting", "acquire_timeouts"),
    *("entries", "hit_rate"),
    *("tasks", "runs", "errors", "last_error", "last_run"),
)
"""Figures and table columns shown first when a service reports them; the rest follow."""
_RANK: Final = {name: position for position, name in enumerate(KEY_FIGURES)}
_TIME_SUFFIXES: Final = ("_run", "_at", "_time")
"""Figures named so hold a Unix time, shown as a UTC clock time."""


class State(StrEnum):
    """What a probe found; the page colours cards and graph nodes by it."""

    OK = "ok"
    FAILING = "failing"
    TIMED_OUT = "timed_out"
    NOT_STARTED = "not_started"
    """A resource the container has not started (and no fake stands in for it)."""


@dataclass(frozen=True, slots=True)
class FigureTable:
    """A figure made of named rows, such as a scheduler's per-task counters."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class ServiceReport:
    """How one provider is doing, ready to display; `error` is the exception type of a
    failed ping or a failed `get_stats()`."""

    path: str
    depends_on: tuple[str, ...]
    state: State
    error: str | None = None
    detail: str | None = None
    figures: tuple[tuple[str, str], ...] = ()
    tables: tuple[FigureTable, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    services: tuple[ServiceReport, ...]
    taken_at: float = field(default_factory=time.time)

    @property
    def taken_at_text(self) -> str:
        """When the snapshot was taken, in UTC, for the page's footer."""
        return datetime.fromtimestamp(self.taken_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def display(name: str, value: Any) -> str:
    """A figure as a short string: times as UTC clock times, floats rounded, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and name.endswith(_TIME_SUFFIXES):
        return datetime.fromtimestamp(value, UTC).strftime("%H:%M:%S UTC")
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _key_first(name: str) -> int:
    return _RANK.get(name, len(_RANK))


def _table(name: str, rows: Mapping[str, Mapping[str, Any]]) -> FigureTable:
    names = dict.fromkeys(column for row in rows.values() for column in row)  # first-seen order
    columns = tuple(sorted(names, key=_key_first))
    cells = tuple(
        (str(row_name), tuple(display(column, row.get(column)) for column in columns))
        for row_name, row in rows.items()
    )
    return FigureTable(name, columns, cells)


async def _probe(service: Service, timeout: float) -> ServiceReport:
    report = ServiceReport(service.path, service.depends_on, State.NOT_STARTED)
    if not service.provider.initialized and not service.provider.overridden:
        return report
    instance, pinged = await ping_service(service, timeout)
    if pinged is not None and not pinged.ok:
        state = State.TIMED_OUT if pinged.timed_out else State.FAILING
        return replace(report, state=state, error=pinged.error, detail=pinged.detail)
    report = replace(report, state=State.OK)
    try:
        stats = await read_stats(instance) or {}
    except Exception as error:  # the ping passed: the service is up, only its figures are not
        return replace(report, error=type(error).__name__, detail="get_stats() failed")
    # Scalars become figures (key ones first); a mapping of mappings becomes a table.
    figures: list[tuple[str, str]] = []
    tables: list[FigureTable] = []
    for name, value in stats.items():
        if isinstance(value, Mapping) and all(isinstance(row, Mapping) for row in value.values()):
            tables.append(_table(name, value))
        elif isinstance(value, Mapping):
            figures.extend((f"{name}.{key}", display(key, item)) for key, item in value.items())
        else:
            figures.append((name, display(name, value)))
    figures.sort(key=lambda figure: _key_first(figure[0]))
    return replace(report, figures=tuple(figures), tables=tuple(tables))


async def take_snapshot(container: Any, timeout: float) -> Snapshot:
    """Probe every service of `container` at once, each within `timeout` seconds."""
    reports = await asyncio.gather(*(_probe(service, timeout) for service in services(container)))
    return Snapshot(tuple(reports))
