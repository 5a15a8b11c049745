"""A scheduled task's record, and the arithmetic of its due times."""

import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any, Final

TaskFunction = Callable[[], Awaitable[object]]
"""What `add_task` schedules: an async callable taking no arguments."""

_ON_GRID: Final = 1e-9  # intervals of rounding error tolerated when checking a time


@dataclass(slots=True, eq=False)
class BackgroundTask:
    """One scheduled task: its schedule (from `add_task`) and its counters (from the scheduler).
    `enabled` may be switched while the scheduler runs: a disabled task lets due times pass."""

    name: str
    func: TaskFunction
    interval: float
    exclusive: bool = False
    timeout: float | None = None
    offset: float | None = None
    """Seconds past each wall-clock multiple of `interval`; None: a point fixed by the name."""
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
    due: float | None = None
    """The next (or running) due time on the scheduler's clock; None while not scheduled."""
    grid: float = 0.0
    """A due time on the scheduler's clock; the others are whole intervals away from it."""

    def stats(self) -> dict[str, Any]:
        """The JSON-serialisable view `BackgroundService.get_stats()` reports."""
        hidden = ("name", "func", "due", "grid")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}

    def grid_point(self, at: float) -> float:
        """The first time on the task's grid not before `at`."""
        return self.grid + self.interval * math.ceil((at - self.grid) / self.interval - _ON_GRID)

    def next_due(self, due: float, now: float) -> tuple[float, int]:
        """The run after the one due at `due` (the first grid time at least an interval later
        and not in the past), and how many grid times passed before it."""
        following = self.grid_point(due + self.interval)
        if now <= following:
            return following, 0
        later = self.grid_point(now)
        return later, round((later - following) / self.interval)


def name_phase(name: str) -> float:
    """A stable fraction in [0, 1) for `name`: where in the interval its due times fall."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
