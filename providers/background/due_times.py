"""The scheduler's timer: one heap of due times and one event-loop timer for the earliest.

A schedule costs a heap entry between runs, not a sleeping asyncio task, and the timer wakes
once per due time, not once per task.
"""

import asyncio
import heapq
import itertools
import math
from collections.abc import Callable, Mapping
from typing import Final

from providers.background.task import BackgroundTask

TIMER_RESOLUTION: Final = 0.001
"""The timer waits whole ticks of this length, so due times closer together start from one
wake-up, at most a tick late: event loops time in milliseconds (uvloop rounds a shorter
delay to none, so a finer timer would spin until the due time). The tick also bounds how
often the timer fires while a fake clock stands still."""

_TICK_ROUNDING: Final = 1e-6
"""Ticks of rounding error ignored when a delay is rounded up to whole ticks."""


class DueTimes:
    """Calls `start_run(task, due)` when each queued task falls due on `clock`.

    An entry whose task left `tasks`, or whose due time changed since, is stale and dropped
    when it reaches the top. A disabled task lets its due time pass and waits for the next.
    """

    def __init__(
        self,
        tasks: Mapping[str, BackgroundTask],
        start_run: Callable[[BackgroundTask, float], None],
        clock: Callable[[], float],
    ) -> None:
        self._tasks = tasks
        self._start_run = start_run
        self._clock = clock
        self._heap: list[tuple[float, int, BackgroundTask]] = []
        self._order = itertools.count()  # equal due times go first come, first served
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf

    def schedule(self, task: BackgroundTask, due: float) -> None:
        """Queue `task`'s next run for `due`, waking the timer sooner if it must."""
        task.due = due
        heapq.heappush(self._heap, (due, next(self._order), task))
        if due < self._timer_due:
            self._arm(due)

    def clear(self) -> None:
        """Forget every due time and disarm the timer."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_due = None, math.inf
        self._heap.clear()
        for task in self._tasks.values():
            task.due = None

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        delay = due - self._clock()
        if delay > 0:
            delay = math.ceil(delay / TIMER_RESOLUTION - _TICK_ROUNDING) * TIMER_RESOLUTION
        self._timer = asyncio.get_running_loop().call_later(max(delay, 0.0), self._fire)

    def _fire(self) -> None:
        """Start every run that is due, then arm the timer for the next due time."""
        self._timer, self._timer_due = None, math.inf
        now = self._clock()
        while self._heap:
            due, _, task = self._heap[0]
            if task.due != due or self._tasks.get(task.name) is not task:
                heapq.heappop(self._heap)
                continue
            if due > now:
                # Checked against the clock, not the timer: a fake clock moves only when a
                # test says so, and the timer then simply fires again.
                self._arm(due)
                return
            heapq.heappop(self._heap)
            if task.enabled:
                self._start_run(task, due)
            else:
                self.schedule(task, task.next_due(due, now)[0])


__all__ = ["TIMER_RESOLUTION", "DueTimes"]
