"""Borrowers waiting for a pool's connection, first come first served, with one deadline timer.

Every waiter of a pool gets the same timeout, so deadlines only grow from the head of the
line to its tail: one timer, armed for the head's deadline and re-armed when it fires,
fails every overdue waiter. A timer per waiter would do the same work at each borrow;
this does it once per timeout period (docs/decisions.md §8).
"""

import asyncio
import math
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

LATE_ENOUGH = 0.001
"""Seconds: asyncio may run a timer up to its clock resolution early."""


class WaitingLine(Generic[T]):
    """Waiters for a `T` (a connection, a free place), each failed at its own deadline."""

    def __init__(
        self,
        timeout: float,
        timed_out: Callable[[], BaseException],
        give_back: Callable[[T], None],
    ) -> None:
        """`timed_out()` builds a waiter's error at its deadline; `give_back(value)` takes
        back what a waiter was served but could not take (cancelled in between)."""
        self._timeout = timeout
        self._timed_out = timed_out
        self._give_back = give_back
        self._waiters: deque[tuple[float, asyncio.Future[T]]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self.waiting = 0
        """Waiters in line now."""

    def __bool__(self) -> bool:
        """True while someone waits: a freed value must go to them, not to a newcomer."""
        return self.waiting > 0

    async def wait(self) -> T:
        """Wait for a `serve`d value, at most the timeout; cancellation loses nothing."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        deadline = loop.time() + self._timeout
        self._waiters.append((deadline, waiter))
        if self._timer is None and not math.isinf(deadline):
            self._timer = loop.call_at(deadline, self._expire)
        self.waiting += 1
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())  # served, then cancelled: pass it on
            raise
        finally:
            self.waiting -= 1

    def serve(self, value: T) -> bool:
        """Hand `value` to the longest waiter; False when nobody is waiting for it."""
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(value)
                return True
        return False

    def fail_all(self, error: BaseException) -> None:
        """Wake every waiter with `error`, and stop the timer: the pool is closing."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def _expire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time() + LATE_ENOUGH
        while self._waiters and (self._waiters[0][0] <= now or self._waiters[0][1].done()):
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(self._timed_out())
        self._timer = loop.call_at(self._waiters[0][0], self._expire) if self._waiters else None
