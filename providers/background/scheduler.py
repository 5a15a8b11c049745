"""The background scheduler: periodic async tasks that neither drift, overlap nor leak.

Each scheduled task gets one asyncio task that sleeps until the next due time, runs the
function, and computes the following due time from the previous *due* time (not from when
the run ended), so a run's duration never shifts the schedule.

First-run policy: a task runs as soon as the scheduler starts (or as soon as it is added
to a running scheduler), then once every `interval` seconds after that ("run now, then
every interval").
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from providers.background.locks import TaskLock, create_task_lock
from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError

__all__ = ["LEASE_INTERVALS", "BackgroundService", "BackgroundTask", "TaskFunction"]

logger = logging.getLogger(__name__)

TaskFunction = Callable[[], Awaitable[object]]
"""What `add_task` schedules: an async callable taking no arguments."""

LEASE_INTERVALS: Final = 1.5
"""An exclusive task's lease lasts this many intervals: long enough for the holder's next
run (perhaps a little late) to renew it, short enough for a successor to take over soon."""

CLOSED: Final = "Background service is closed"


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

    def stats(self) -> dict[str, Any]:
        """The JSON-serialisable view `BackgroundService.get_stats()` reports."""
        return {
            "interval": self.interval,
            "exclusive": self.exclusive,
            "timeout": self.timeout,
            "enabled": self.enabled,
            "runs": self.runs,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "skipped": self.skipped,
            "last_error": self.last_error,
            "last_run": self.last_run,
            "last_duration": self.last_duration,
        }


def _next_due(previous_due: float, interval: float, now: float) -> tuple[float, int]:
    """The first due time on `previous_due`'s grid that is not in the past, and how many
    grid points were passed over (they fell due while the previous run was still going)."""
    steps = max(1, math.ceil((now - previous_due) / interval))
    return previous_due + steps * interval, steps - 1


class BackgroundService:
    """Runs async functions every `interval` seconds until stopped.

    `clock` (monotonic seconds) drives the due-time arithmetic and the local lock's leases;
    waiting is real `asyncio.sleep`, so a fake clock should use intervals of a few ms.
    `lock` replaces the lock chosen from `lock_url` (tests, custom backends).
    """

    def __init__(
        self,
        reload_mode: bool = False,
        lock_url: str | None = None,
        *,
        stop_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        lock: TaskLock | None = None,
    ) -> None:
        if lock is not None and lock_url:
            raise ValueError("pass either lock_url or lock, not both")
        self._reload_mode = reload_mode
        self._stop_timeout = positive_seconds("stop_timeout", stop_timeout)
        self._clock = clock
        self._lock: TaskLock = lock if lock is not None else create_task_lock(lock_url, clock=clock)
        self._tasks: dict[str, BackgroundTask] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        # Loops of removed tasks that may still be finishing; stop() awaits them too.
        self._retiring: dict[asyncio.Task[None], str] = {}
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

    @property
    def lock(self) -> TaskLock:
        """Where exclusive tasks take their lease."""
        return self._lock

    async def initialize(self) -> None:
        """Prepare the lock backend; in reload mode open nothing."""
        if self._closed:
            raise ServiceNotReadyError(CLOSED)
        if self._reload_mode or self._initialized:
            return
        await self._lock.initialize()
        self._initialized = True

    async def start(self) -> None:
        """Start every task's schedule; each runs once right away. No-op in reload mode."""
        if self._closed:
            raise ServiceNotReadyError(CLOSED)
        if self._reload_mode or self._running:
            return
        await self.initialize()
        if self._running or self._closed:  # a concurrent start() or close() came first
            return
        self._running = True
        first_due = self._clock()
        for task in self._tasks.values():
            self._spawn(task, first_due)
        logger.info("background scheduler started with %d task(s)", len(self._tasks))

    async def stop(self) -> None:
        """Cancel every task and wait for them, at most `stop_timeout` seconds."""
        self._running = False
        active, self._loops = self._loops, {}
        loops = {loop: name for name, loop in active.items()} | self._retiring
        self._retiring = {}
        current = asyncio.current_task()
        for loop in active.values():  # loops of removed tasks are cancelled already
            if loop is not current:
                loop.cancel()
        waiting = [loop for loop in loops if loop is not current]
        if waiting:
            _, still_running = await asyncio.wait(waiting, timeout=self._stop_timeout)
            for loop in still_running:
                logger.warning(
                    "background task %r ignored cancellation and was still running %s s "
                    "after stop(); abandoning it",
                    loops[loop],
                    self._stop_timeout,
                )
        if current in loops:
            # A task that calls stop() cannot wait for itself: it ends at its next await.
            current.cancel()

    async def close(self) -> None:
        """Stop, then close the lock; the service cannot be started again."""
        if self._closed:
            return
        await self.stop()
        self._closed = True
        await self._lock.close()

    async def ping(self) -> None:
        """Raise when the scheduler cannot serve: closed, or its lock backend is down."""
        if self._closed:
            raise ServiceNotReadyError(CLOSED)
        if self._initialized:
            await self._lock.ping()

    def add_task(
        self,
        name: str,
        func: TaskFunction,
        interval: float,
        exclusive: bool = False,
        *,
        timeout: float | None = None,
    ) -> BackgroundTask:
        """Schedule `func()` every `interval` seconds; on a running scheduler it starts now.

        `exclusive` runs need the lock's lease on `name` (one instance per interval);
        `timeout` cancels a run that takes longer and counts it as an error.
        """
        if name in self._tasks:
            raise ValueError(f"a background task named {name!r} already exists; remove it first")
        if not callable(func):
            raise TypeError(f"func for background task {name!r} must be an async callable")
        positive_seconds("interval", interval)
        if timeout is not None:
            positive_seconds("timeout", timeout)
        task = BackgroundTask(name, func, interval, exclusive, timeout)
        self._tasks[name] = task
        if self._running:
            self._spawn(task, self._clock())
        return task

    def remove_task(self, name: str) -> None:
        """Unschedule `name`; a run in progress is cancelled (and awaited by `stop()`)."""
        try:
            del self._tasks[name]
        except KeyError:
            raise KeyError(f"no background task named {name!r}") from None
        loop = self._loops.pop(name, None)
        if loop is not None:
            self._retiring[loop] = name
            loop.cancel()

    def get_stats(self) -> dict[str, Any]:
        """Scheduler status and per-task counters, JSON-serialisable."""
        return {
            "status": "running" if self._running else "stopped",
            "tasks": len(self._tasks),
            "task_stats": {name: task.stats() for name, task in self._tasks.items()},
        }

    def _spawn(self, task: BackgroundTask, first_due: float) -> None:
        loop = asyncio.create_task(
            self._run_on_schedule(task, first_due), name=f"background:{task.name}"
        )
        self._loops[task.name] = loop
        loop.add_done_callback(lambda finished: self._loop_finished(task.name, finished))

    def _loop_finished(self, name: str, loop: asyncio.Task[None]) -> None:
        self._retiring.pop(loop, None)
        if self._loops.get(name) is not loop:
            return  # ended by remove_task() or stop()
        # Still registered: the loop ended on its own (the task raised CancelledError).
        del self._loops[name]
        if loop.cancelled():
            logger.warning(
                "background task %r raised CancelledError on its own and is no longer "
                "scheduled; remove and add it again to restart it",
                name,
            )
        elif (error := loop.exception()) is not None:
            logger.error("background task %r stopped unexpectedly", name, exc_info=error)

    async def _run_on_schedule(self, task: BackgroundTask, first_due: float) -> None:
        due = first_due
        while True:
            await self._sleep_until(due)
            await self._run_once(task)
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                # The function swallowed our cancellation; honour it anyway.
                raise asyncio.CancelledError
            due, missed = _next_due(due, task.interval, self._clock())
            task.skipped += missed

    async def _sleep_until(self, due: float) -> None:
        # Check the clock again after each sleep: a fake clock moves only when a test says so.
        delay = due - self._clock()
        while delay > 0:
            await asyncio.sleep(delay)
            delay = due - self._clock()

    async def _run_once(self, task: BackgroundTask) -> None:
        if not task.enabled:
            return
        if task.exclusive:
            try:
                won = await self._lock.try_acquire(task.name, task.interval * LEASE_INTERVALS)
            except Exception as error:
                self._record_error(task, error, "could not take its lock")
                return
            if not won:
                task.skipped += 1
                return
        task.last_run = time.time()
        started = self._clock()
        deadline = asyncio.timeout(task.timeout)
        try:
            async with deadline:
                await task.func()
        except Exception as error:
            if isinstance(error, TimeoutError) and deadline.expired():
                task.timeouts += 1
                self._record_error(task, error, f"timed out after {task.timeout} s")
            else:
                self._record_error(task, error, "failed")
        task.runs += 1
        task.last_duration = self._clock() - started

    @staticmethod
    def _record_error(task: BackgroundTask, error: Exception, what: str) -> None:
        task.errors += 1
        detail = str(error) or what
        task.last_error = f"{type(error).__name__}: {detail}"
        logger.error("background task %r %s", task.name, what, exc_info=error)
