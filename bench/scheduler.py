"""Scheduler: 100 and 10,000 tasks every second; how late each run starts, how many run.

Lateness of a run is when it started minus the grid point it was due on (the task's first
due time + k intervals), so a scheduler that drifts shows it in both figures: lateness
grows, and fewer runs fit in the window. Each task records a timestamp and returns; the
figure per round is the 99th percentile over every run due in the window, which holds
exactly one due time of every task per interval it lasts. It opens once the schedule is
in its steady state, not while 10,000 tasks are being added: Wirework runs each task once
at start-up and then at a point of every interval fixed by its name, the first at least one
interval later, so its window opens one interval after it is ready; APScheduler's jobs are
first due one interval after adding began, so its window opens there (or, if adding took
longer, one interval after it was ready). The round ends when every task has started its
last run due in the window, or half an interval after the window, whichever comes first.

APScheduler is handed Wirework's due times (each task's place in the interval) as its jobs'
start dates, so both run the same schedule. Each round runs them one after the other
(interleaved, the order rotating, each left to settle before the next), 10,000 tasks in
every run, 100 tasks too in the full run; the table shows the median over the rounds and
their spread. Memory per scheduled task is what `tracemalloc` sees allocated by adding and
starting the tasks and their runs at start-up (the task functions themselves excluded),
divided by their number: 10,000 tasks, 1,000 under `--quick` (tracing APScheduler's
`add_job` takes seconds per 10,000).
"""

import asyncio
import gc
import logging
import math
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import BenchmarkResult, Options, interleave_async, rows_from, run_async, timed

SIZES = (100, 10_000)
INTERVAL = 1.0
WIREWORK = "wirework BackgroundService"
APSCHEDULER = "APScheduler 3 AsyncIOScheduler, same due times"

Recorder = Callable[[], Awaitable[None]]


def _figures(
    starts: list[list[float]], first_dues: list[float], opens: float, seconds: float
) -> list[float]:
    """Lateness (ms) of every run due in the window [opens, opens + seconds)."""
    lateness = []
    for task_starts, first_due in zip(starts, first_dues, strict=True):
        for started in task_starts:
            due_index = math.floor((started - first_due) / INTERVAL + 1e-9)
            due = first_due + due_index * INTERVAL
            if opens <= due < opens + seconds:
                lateness.append((started - due) * 1e3)
    return lateness


def _p99(lateness: list[float]) -> float:
    return statistics.quantiles(lateness, n=100)[98] if len(lateness) > 1 else math.inf


def _recorders(size: int, clock: Callable[[], float]) -> tuple[list[list[float]], list[Recorder]]:
    starts: list[list[float]] = [[] for _ in range(size)]

    def recorder(record: list[float]) -> Recorder:
        async def run() -> None:
            record.append(clock())

        return run

    return starts, [recorder(record) for record in starts]


async def _start_wirework(functions: list[Recorder]) -> Any:
    """A started service with `functions` scheduled."""
    from providers.background import BackgroundService  # noqa: PLC0415

    service = BackgroundService()
    await service.initialize()
    for index, function in enumerate(functions):
        service.add_task(f"task-{index}", function, INTERVAL)
    await service.start()
    return service


def _grid(service: Any) -> list[float]:
    """A due time of each task after its run at start-up (its grid; see `BackgroundTask`)."""
    return [task.grid for task in service.tasks.values()]


def _start_apscheduler(functions: list[Recorder], offsets: list[float]) -> tuple[Any, list[float]]:
    """A started AsyncIOScheduler with one interval job per function, first due at `offsets`
    past one interval from now."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]  # noqa: PLC0415
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]  # noqa: PLC0415

    # No misfire grace limit: a late run still runs (and counts its lateness), as in Wirework.
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
    base = datetime.now(UTC) + timedelta(seconds=INTERVAL)
    first_dues = []
    for index, (function, offset) in enumerate(zip(functions, offsets, strict=True)):
        first_due = base + timedelta(seconds=offset)
        first_dues.append(first_due.timestamp())
        trigger = IntervalTrigger(seconds=INTERVAL, start_date=first_due, timezone=UTC)
        scheduler.add_job(function, trigger, id=f"task-{index}")
    scheduler.start()
    return scheduler, first_dues


def _memory_per_task(size: int, offsets: list[float]) -> dict[str, float]:
    """Bytes allocated per scheduled task by each scheduler, once its tasks are scheduled."""
    figures = {}

    async def measure() -> None:
        _, functions = _recorders(size, time.monotonic)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        service = await _start_wirework(functions)
        await asyncio.sleep(INTERVAL / 2)  # the runs at start-up are over; the next are later
        figures[WIREWORK] = (tracemalloc.get_traced_memory()[0] - before) / size
        tracemalloc.stop()
        await service.close()

        _, functions = _recorders(size, time.time)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        scheduler, _ = _start_apscheduler(functions, offsets)
        await asyncio.sleep(0)
        figures[APSCHEDULER] = (tracemalloc.get_traced_memory()[0] - before) / size
        tracemalloc.stop()
        scheduler.shutdown(wait=False)

    run_async(measure)
    return figures


async def _settle() -> None:
    """Let runs a contender left queued finish, and collect its garbage, before the next."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=10 * INTERVAL)
    gc.collect()


def _offsets(size: int) -> list[float]:
    """Each task's place in the interval as Wirework chooses it: a function of its name."""
    from providers.background.task import name_phase  # noqa: PLC0415

    return [name_phase(f"task-{index}") * INTERVAL for index in range(size)]


def _last_dues(first_dues: list[float], closes: float) -> list[float]:
    """Each task's last due time before `closes`."""
    return [
        first_due + (math.ceil((closes - first_due) / INTERVAL) - 1) * INTERVAL
        for first_due in first_dues
    ]


async def _until_started(
    starts: list[list[float]], last_dues: list[float], clock: Callable[[], float], cap: float
) -> None:
    """Wait until every task has started its run due at `last_dues`, or until `cap`."""
    pending = list(range(len(starts)))
    early = INTERVAL / 100  # tolerated for a timer that fires a little early
    while True:
        pending = [i for i in pending if not starts[i] or starts[i][-1] < last_dues[i] - early]
        if not pending or clock() >= cap:
            return
        await asyncio.sleep(0.01)


def _run_size(size: int, seconds: float, rounds: int) -> BenchmarkResult:
    result = BenchmarkResult(f"scheduler: {size:,} tasks every {INTERVAL:g} s, p99 lateness", "ms")
    result.higher_is_better = False
    expected = size * round(seconds / INTERVAL)
    runs: dict[str, list[int]] = {WIREWORK: [], APSCHEDULER: []}
    offsets = _offsets(size)

    async def window(
        starts: list[list[float]], first_dues: list[float], opens: float, clock: Callable[[], float]
    ) -> list[float]:
        """Wait through the window; the lateness of every run due in it."""
        closes = opens + seconds
        last_dues = _last_dues(first_dues, closes)  # computed before the window opens
        await asyncio.sleep(closes - clock())
        await _until_started(starts, last_dues, clock, closes + INTERVAL / 2)
        return _figures(starts, first_dues, opens, seconds)

    async def wirework() -> float:
        starts, functions = _recorders(size, time.monotonic)
        service = await _start_wirework(functions)
        opens = time.monotonic() + INTERVAL
        lateness = await window(starts, _grid(service), opens, time.monotonic)
        await service.close()
        await _settle()
        runs[WIREWORK].append(len(lateness))
        return _p99(lateness)

    async def apscheduler() -> float:
        starts, functions = _recorders(size, time.time)
        scheduler, first_dues = _start_apscheduler(functions, offsets)
        ready = time.time()
        first = first_dues[0] - offsets[0]  # where the first interval of every job begins
        opens = first if ready <= first else ready + INTERVAL
        lateness = await window(starts, first_dues, opens, time.time)
        scheduler.shutdown(wait=False)
        await _settle()
        runs[APSCHEDULER].append(len(lateness))
        return _p99(lateness)

    async def main() -> None:
        samples = await interleave_async(
            [(WIREWORK, wirework), (APSCHEDULER, apscheduler)], rounds=rounds, warmup=0
        )
        result.rows = rows_from(
            samples,
            {
                name: f"runs {statistics.median(counts):,.0f} of {expected:,}"
                for name, counts in runs.items()
            },
        )

    with timed(result):
        run_async(main)
    worst = max(abs(count - expected) for count in runs[WIREWORK])
    result.target(
        "wirework runs within 1% of expected (no drift)",
        100 * worst / expected,
        worst <= expected / 100,
        "% off (worst round)",
    )
    result.ratio_target(APSCHEDULER, 1.0, description="wirework p99 lateness <= APScheduler's")
    result.notes.append(
        f"a {seconds:g} s window per contender per round, {rounds} rounds, no warm-up round; "
        f"expected {expected:,} runs per round"
    )
    return result


def run(options: Options) -> list[BenchmarkResult]:
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # shutdown cancels queued jobs
    seconds = options.pick(2.0, 1.0)
    rounds = options.pick(5, 3)
    results = [_run_size(SIZES[0], seconds, rounds)] if not options.quick else []
    large = _run_size(SIZES[1], seconds, rounds)
    wirework_large = large.row(WIREWORK).median
    large.target(
        "wirework p99 lateness <= 5 ms",
        wirework_large,
        wirework_large <= 5,
        "ms",
        cause="a run due while other processes hold every core waits for one: read the figure "
        "with the load average in the header",
    )
    if results:
        growth = wirework_large / results[0].row(WIREWORK).median
        large.target(f"report p99 growth {SIZES[0]:,} -> {SIZES[1]:,} tasks", growth, True)

    traced = options.pick(SIZES[1], SIZES[1] // 10)
    memory = BenchmarkResult(f"scheduler: memory per scheduled task, {traced:,} tasks", "B")
    memory.higher_is_better = False
    with timed(memory):
        figures = _memory_per_task(traced, _offsets(traced))
    memory.rows = rows_from({name: [figure] for name, figure in figures.items()})
    memory.target("report bytes per scheduled task", figures[WIREWORK], True, "B")
    return [*results, large, memory]
