"""The scheduler's timer: one heap of due times and one event-loop timer for the earliest. A
schedule costs a heap entry between runs (half the memory of a loop timer per task, and no
later), and due times close together start from one wake-up."""

import asyncio
import heapq
import itertools
import math
from collections.abc import Callable, Mapping

from providers.background.task import BackgroundTask
from providers.durations import milliseconds


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
        """Wait whole milliseconds, as event loops time: due times closer together start from
        one wake-up, and uvloop, which rounds a shorter delay to none, does not spin."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        delay = due - self._clock()
        delay = milliseconds(delay) / 1000 if delay > 0 else 0
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        """Start every run that is due, then arm the timer for the next due time."""
        self._timer, self._timer_due = None, math.inf
        now = self._clock()
        while self._heap:
            due, _, task = self._heap[0]
            if task.due != due or self._tasks.get(task.name) is not task:
                heapq.heappop(self._heap)
                continue
            if due > now:  # the clock, not the timer, decides: a fake clock may stand still
                self._arm(due)
                return
            heapq.heappop(self._heap)
            if task.enabled:
                self._start_run(task, due)
            else:
                self.schedule(task, task.next_due(due, now)[0])
