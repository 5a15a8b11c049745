"""A scheduled task's record, and the arithmetic of its due times."""

import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any, Final

TaskFunction = Callable[[], Awaitable[object]]
"""What `add_task` schedules: an async callable taking no arguments."""

_ON_GRID: Final = 1e-9
"""Intervals of rounding error tolerated when a time is checked against a task's grid."""


@dataclass(slots=True, eq=False)
class BackgroundTask:
    """One scheduled task: its schedule (from `add_task`) and its counters (from the scheduler).

    `enabled` may be switched off and on while the scheduler runs; a disabled task lets its
    due times pass without running or counting them.
    """

    name: str
    func: TaskFunction
    interval: float
    exclusive: bool = False
    timeout: float | None = None
    offset: float | None = None
    """Seconds past each wall-clock multiple of `interval` the task runs at; None: a point of
    the interval fixed by its name (see `BackgroundService`)."""
    enabled: bool = True
    runs: int = 0
    """Finished runs, failed ones included; a run cancelled by `stop()` is not counted."""
    errors: int = 0
    """Runs that raised or timed out (cancellation is never an error)."""
    timeouts: int = 0
    skipped: int = 0
    """Due times not run: the previous run was still going, or another holder had the lease."""
    last_error: str | None = None
    """``"ExceptionType: message"`` of the latest failure."""
    last_run: float | None = None
    """Wall-clock (Unix) time the latest run started."""
    last_duration: float | None = None
    """Seconds the latest finished run took."""
    due: float | None = None
    """When the next run is due (the current run's due time while it runs), on the
    scheduler's clock; None while the task is not scheduled."""
    grid: float = 0.0
    """A time the task is due at, on the scheduler's clock: its due times are `grid` plus
    whole intervals (the run at start-up aside). Set when the scheduler schedules it."""

    def stats(self) -> dict[str, Any]:
        """The JSON-serialisable view `BackgroundService.get_stats()` reports."""
        hidden = ("name", "func", "due", "grid")
        shown = (field.name for field in fields(self) if field.name not in hidden)
        return {name: getattr(self, name) for name in shown}

    def grid_point(self, at: float) -> float:
        """The first time on the task's grid not before `at`."""
        return self.grid + self.interval * math.ceil((at - self.grid) / self.interval - _ON_GRID)

    def next_due(self, due: float, now: float) -> tuple[float, int]:
        """The run after the one due at `due`: the first grid time at least an interval later
        and not in the past, and how many grid times passed before it."""
        following = self.grid_point(due + self.interval)
        if now <= following:
            return following, 0
        later = self.grid_point(now)
        return later, round((later - following) / self.interval)


def name_phase(name: str) -> float:
    """A stable fraction in [0, 1) for `name`: where in the interval its due times fall."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


__all__ = ["BackgroundTask", "TaskFunction", "name_phase"]
