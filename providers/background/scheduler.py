"""The background scheduler: periodic async tasks that neither drift, overlap nor leak."""

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from providers.background.locks import TaskLock, create_task_lock
from providers.background.task import BackgroundTask, TaskFunction, name_phase
from providers.durations import milliseconds, positive_seconds
from providers.errors import ServiceNotReadyError

logger = logging.getLogger(__name__)

LEASE_GRACE: Final = 0.5
"""An exclusive run's lease lasts until this many intervals past the holder's next due time:
long enough for a late next run to renew it, short enough for a successor to take over."""

CLOSED: Final = "Background service is closed"


class BackgroundService:
    """Runs async functions every `interval` seconds until stopped, each run a task of its own
    (`docs/decisions.md` §12). `clock` drives due times and local leases, `wall_clock` places
    `offset` tasks and stamps `last_run`; a clock that stands still waits whole ms per wake-up."""

    def __init__(
        self,
        reload_mode: bool = False,
        lock_url: str | None = None,
        *,
        stop_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        lock: TaskLock | None = None,
    ) -> None:
        if lock is not None and lock_url:
            raise ValueError("pass either lock_url or lock, not both")
        self._reload_mode = reload_mode
        self._stop_timeout = positive_seconds("stop_timeout", stop_timeout)
        self._clock = clock
        self._wall_clock = wall_clock
        self.lock: TaskLock = lock if lock is not None else create_task_lock(lock_url, clock=clock)
        self._tasks: dict[str, BackgroundTask] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}  # each task's run in progress
        self._live: dict[asyncio.Task[None], str] = {}  # every unfinished run, removed tasks' too
        # One heap of due times and one loop timer for the earliest, not a timer per task.
        self._heap: list[tuple[float, int, BackgroundTask]] = []
        self._order = itertools.count()  # equal due times go first come, first served
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf
        self._armed_at = math.nan  # the clock when the timer was last armed
        self._running = False
        self._initialized = False
        self._closed = False

    @property
    def tasks(self) -> Mapping[str, BackgroundTask]:
        """Scheduled tasks by name (a read-only live view; use add_task/remove_task)."""
        return MappingProxyType(self._tasks)

    @property
    def is_running(self) -> bool:
        """True between `start()` and `stop()` (never in reload mode)."""
        return self._running

    async def initialize(self) -> None:
        """Prepare the lock backend; in reload mode open nothing."""
        if self._closed:
            raise ServiceNotReadyError(CLOSED)
        if not (self._reload_mode or self._initialized):
            await self.lock.initialize()
            self._initialized = True

    async def start(self) -> None:
        """Start every task's schedule; a no-op in reload mode."""
        await self.initialize()
        if self._reload_mode or self._running or self._closed:  # or a concurrent call came first
            return
        self._running = True
        now = self._clock()
        for task in self._tasks.values():
            self._schedule(task, self._first_due(task, now))
        logger.info("background scheduler started with %d task(s)", len(self._tasks))

    async def stop(self) -> None:
        """Cancel every run in progress and wait for them, at most `stop_timeout` seconds."""
        self._running = False
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_due = None, math.inf
        self._heap.clear()
        for task in self._tasks.values():
            task.due = None
        current = asyncio.current_task()
        for run in self._runs.values():  # not removed tasks' runs: cancelled already, let them end
            if run is not current:
                run.cancel()
        live, self._runs, self._live = self._live, {}, {}
        waiting = [run for run in live if run is not current]
        if waiting:
            _, still_running = await asyncio.wait(waiting, timeout=self._stop_timeout)
            for run in still_running:
                logger.warning(
                    "background task %r ignored cancellation and was still running %s s "
                    "after stop(); abandoning it",
                    live[run],
                    self._stop_timeout,
                )
        if current in live:
            current.cancel()  # a run that calls stop() cannot wait for itself

    async def close(self) -> None:
        """Stop, then close the lock; the service cannot be started again."""
        if not self._closed:
            await self.stop()
            self._closed = True
            await self.lock.close()

    async def ping(self) -> None:
        """Raise when the scheduler cannot serve: closed, or its lock backend is down."""
        if self._closed:
            raise ServiceNotReadyError(CLOSED)
        if self._initialized:
            await self.lock.ping()

    def add_task(
        self,
        name: str,
        func: TaskFunction,
        interval: float,
        exclusive: bool = False,
        *,
        timeout: float | None = None,
        offset: float | None = None,
    ) -> BackgroundTask:
        """Schedule `func()` every `interval` seconds; on a running scheduler it starts now.

        `exclusive` runs need the lock's lease on `name` (one instance per interval); `timeout`
        cancels a longer run and counts an error; `offset` (0 <= offset < `interval`) runs it
        only at that many seconds past each multiple of `interval` in Unix time, not at start."""
        if name in self._tasks:
            raise ValueError(f"a background task named {name!r} already exists; remove it first")
        if not callable(func):
            raise TypeError(f"func for background task {name!r} must be an async callable")
        positive_seconds("interval", interval)
        if timeout is not None:
            positive_seconds("timeout", timeout)
        if offset is not None and not 0 <= offset < interval:
            raise ValueError(f"offset must be at least 0 and less than interval, got {offset!r}")
        task = BackgroundTask(name, func, interval, exclusive, timeout, offset)
        self._tasks[name] = task
        if self._running:
            self._schedule(task, self._first_due(task, self._clock()))
        return task

    def remove_task(self, name: str) -> None:
        """Unschedule `name`; a run in progress is cancelled (and awaited by `stop()`)."""
        task = self._tasks.pop(name, None)
        if task is None:
            raise KeyError(f"no background task named {name!r}")
        task.due = None  # its heap entry, if any, is stale from now on
        run = self._runs.pop(name, None)
        if run is not None:
            run.cancel()

    def get_stats(self) -> dict[str, Any]:
        return {
            "status": "running" if self._running else "stopped",
            "tasks": len(self._tasks),
            "task_stats": {name: task.stats() for name, task in self._tasks.items()},
        }

    def _first_due(self, task: BackgroundTask, now: float) -> float:
        """Place `task`'s grid of due times on `clock` and return its first due time."""
        if task.offset is None:
            task.grid = now + task.interval * name_phase(task.name)
            return now
        task.grid = now - (self._wall_clock() - task.offset) % task.interval
        return task.grid_point(now)

    def _schedule(self, task: BackgroundTask, due: float) -> None:
        task.due = due
        heapq.heappush(self._heap, (due, next(self._order), task))
        if due < self._timer_due:
            self._arm(due)

    def _arm(self, due: float) -> None:
        """Wait for `due` itself: uvloop runs a delay under half a millisecond at once, so a
        wait ends in a few quick wake-ups; a clock that stands still (a test's) waits whole ms."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        now = self._clock()
        delay = due - now
        if delay > 0 and now == self._armed_at:
            delay = milliseconds(delay) / 1000
        self._armed_at = now
        self._timer = asyncio.get_running_loop().call_later(max(delay, 0), self._fire)

    def _fire(self) -> None:
        """Start every due run, then arm the timer for the next; stale entries are dropped."""
        self._timer, self._timer_due = None, math.inf
        now = self._clock()
        while self._heap:
            due, _, task = self._heap[0]
            if task.due != due:
                heapq.heappop(self._heap)
                continue
            if due > now:  # the clock, not the timer, decides: a fake clock may stand still
                self._arm(due)
                return
            heapq.heappop(self._heap)
            if task.enabled:
                run = asyncio.create_task(self._run(task, due), name=f"background:{task.name}")
                self._runs[task.name] = run
                self._live[run] = task.name
                run.add_done_callback(self._live.pop)  # this dict, even if stop() replaced it
            else:
                self._schedule(task, task.next_due(due, now)[0])

    async def _run(self, task: BackgroundTask, due: float) -> None:
        """Run `task` once, then queue its next due time unless the run ended its schedule."""
        run = asyncio.current_task()
        try:
            if task.enabled and (not task.exclusive or await self._take_lease(task, due)):
                task.last_run = self._wall_clock()
                started = self._clock()
                deadline = asyncio.timeout(task.timeout)  # None: no limit
                try:
                    async with deadline:
                        await task.func()
                except Exception as error:
                    if deadline.expired():
                        task.timeouts += 1
                        self._record_error(task, error, f"timed out after {task.timeout} s")
                    else:  # a TimeoutError of the function's own included
                        self._record_error(task, error, "failed")
                task.runs += 1
                task.last_duration = self._clock() - started
        except asyncio.CancelledError:
            if self._runs.get(task.name) is run:  # not from stop() or remove_task()
                del self._runs[task.name]
                task.due = None
                logger.warning(
                    "background task %r raised CancelledError on its own and is no longer "
                    "scheduled; remove and add it again to restart it",
                    task.name,
                )
            raise
        if self._runs.get(task.name) is not run:
            return  # stopped or removed while its function swallowed the cancellation
        del self._runs[task.name]
        next_due, missed = task.next_due(due, self._clock())
        task.skipped += missed
        self._schedule(task, next_due)

    async def _take_lease(self, task: BackgroundTask, due: float) -> bool:
        """True when this instance may run the exclusive `task` now; a lost lease is a skip."""
        lease = task.grid_point(due + task.interval) - due + task.interval * LEASE_GRACE
        try:
            won = await self.lock.try_acquire(task.name, lease)
        except Exception as error:
            self._record_error(task, error, "could not take its lock")
            return False
        if not won:
            task.skipped += 1
        return won

    @staticmethod
    def _record_error(task: BackgroundTask, error: Exception, what: str) -> None:
        task.errors += 1
        task.last_error = f"{type(error).__name__}: {str(error) or what}"
        logger.error("background task %r %s", task.name, what, exc_info=error)
