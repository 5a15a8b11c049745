"""A bound on asyncpg's reset of a released connection, with one timer for the whole pool."""

import asyncio
import contextlib
import math
from typing import Any

import asyncpg

from providers.database.pools.waiting_line import LATE_ENOUGH


class ResetWatchdog:
    """Cuts off a connection whose reset on release overruns `limit`, with one timer for all.

    asyncpg resets a released connection (rollback, RESET ALL, UNLISTEN, unlock) with no
    bound unless given a timeout, which costs an `asyncio.timeout()` per release. Every
    release gets the same limit, so the oldest one watched falls due first.
    """

    def __init__(self, limit: float) -> None:
        self._limit = limit
        self._due: dict[Any, float] = {}  # asyncpg's proxy for one borrowing -> its deadline
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, raw: Any) -> None:
        """Start the clock on the release of `raw`, asyncpg's proxy for one borrowing."""
        if math.isinf(self._limit):
            return
        loop = asyncio.get_running_loop()
        self._due[raw] = deadline = loop.time() + self._limit
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._cut_off_overdue)

    def done(self, raw: Any) -> None:
        """The release of `raw` finished in time."""
        self._due.pop(raw, None)

    def stop(self) -> None:
        """Forget every release and the timer: the pool is closed."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()

    def _cut_off_overdue(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time() + LATE_ENOUGH
        for raw, deadline in list(self._due.items()):
            if deadline > now:
                break
            del self._due[raw]
            # A proxy whose release finished meanwhile refuses: nothing to cut off then.
            with contextlib.suppress(asyncpg.InterfaceError):
                raw.terminate()
        first = next(iter(self._due.values()), None)
        self._timer = None if first is None else loop.call_at(first, self._cut_off_overdue)
