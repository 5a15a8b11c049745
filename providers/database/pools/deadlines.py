"""Entries that fall due a fixed time after they were added, all served by one timer."""

import asyncio
import math
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)

LATE_ENOUGH = 0.001
"""Seconds: asyncio may run a timer up to its clock resolution early."""


class Deadlines(Generic[T]):
    """Calls `due(entry)` once `timeout` seconds have passed since `add(entry)`, unless the
    entry was discarded first.

    Every entry gets the same timeout, so they fall due in the order they were added: one
    timer, armed for the oldest and re-armed when it fires, serves them all, where a timer
    per entry would cost a heap push and a cancel on every borrow of a connection.
    """

    def __init__(self, timeout: float, due: Callable[[T], None]) -> None:
        self._timeout = timeout
        self._due = due
        self._entries: dict[T, float] = {}  # in the order they were added, so by deadline
        self._timer: asyncio.TimerHandle | None = None

    def add(self, entry: T) -> None:
        if math.isinf(self._timeout):
            return
        loop = asyncio.get_running_loop()
        self._entries[entry] = deadline = loop.time() + self._timeout
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._fire)

    def discard(self, entry: T) -> None:
        self._entries.pop(entry, None)

    def clear(self) -> None:
        """Forget every entry and the timer (the pool closes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._entries.clear()

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time() + LATE_ENOUGH
        for entry, deadline in list(self._entries.items()):
            if deadline > now:
                break
            del self._entries[entry]
            self._due(entry)
        first = next(iter(self._entries.values()), None)
        self._timer = None if first is None else loop.call_at(first, self._fire)
