"""A scheduled task's record, and the arithmetic of its due times."""

import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

TaskFunction = Callable[[], Awaitable[object]]
"""What `add_task` schedules: an async callable taking no arguments."""


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

    def stats(self) -> dict[str, Any]:
        """The JSON-serialisable view `BackgroundService.get_stats()` reports."""
        shown = (field.name for field in fields(self) if field.name not in ("name", "func", "due"))
        return {name: getattr(self, name) for name in shown}


def next_due(previous_due: float, interval: float, now: float) -> tuple[float, int]:
    """The first due time on `previous_due`'s grid not in the past, and how many were passed."""
    steps = max(1, math.ceil((now - previous_due) / interval))
    return previous_due + steps * interval, steps - 1


def first_run_phase(name: str) -> float:
    """A stable fraction in [0, 1) for `name`: where its first run falls in the interval."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


__all__ = ["BackgroundTask", "TaskFunction", "first_run_phase", "next_due"]
