"""Scheduler: 100 and 10,000 tasks every second; how late each run starts, how many run.

Lateness of a run is when it started minus the grid point it was due on (the task's first
due time + k intervals), so a scheduler that drifts shows it in both figures: lateness
grows, and fewer runs fit in the window. Each task records a timestamp and returns; the
figure per round is the 99th percentile over every run due in the window. The window
opens one interval after the scheduler is ready (its tasks added and started), so it
measures the schedule in its steady state, not how long adding 10,000 tasks took.

Wirework runs with `spread_first_runs=True`, which spreads the first due times over the
interval. APScheduler runs twice: handed the same first due times as start dates, and with
every job starting at the same instant (one wake-up serves them all, which suits it); the
targets are judged against the better of the two.
Memory per scheduled task is what `tracemalloc` sees allocated by adding and starting the
10,000 tasks (the task functions themselves excluded), divided by 10,000.
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
APSCHEDULER = "APScheduler 3 AsyncIOScheduler"
APSCHEDULER_AT_ONCE = "APScheduler 3 AsyncIOScheduler, all due at once"

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


async def _start_wirework(functions: list[Recorder]) -> tuple[Any, list[float]]:
    """A started service with `functions` scheduled, and each task's first due time."""
    from providers.background import BackgroundService  # noqa: PLC0415

    service = BackgroundService(spread_first_runs=True)
    await service.initialize()
    for index, function in enumerate(functions):
        service.add_task(f"task-{index}", function, INTERVAL)
    await service.start()
    first_dues = [task.due for task in service.tasks.values()]
    return service, first_dues


def _start_apscheduler(functions: list[Recorder], offsets: list[float]) -> tuple[Any, list[float]]:
    """A started AsyncIOScheduler with one interval job per function, first due at `offsets`."""
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
        service, _ = await _start_wirework(functions)
        await asyncio.sleep(0)
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


def _run_size(size: int, seconds: float, rounds: int) -> tuple[BenchmarkResult, list[float]]:
    result = BenchmarkResult(f"scheduler: {size:,} tasks every {INTERVAL:g} s, p99 lateness", "ms")
    result.higher_is_better = False
    expected = size * round(seconds / INTERVAL)
    runs: dict[str, list[int]] = {WIREWORK: [], APSCHEDULER: [], APSCHEDULER_AT_ONCE: []}
    offsets: list[float] = []

    async def wirework() -> float:
        starts, functions = _recorders(size, time.monotonic)
        service, first_dues = await _start_wirework(functions)
        opens = time.monotonic() + INTERVAL
        base = min(first_dues)
        offsets[:] = [due - base for due in first_dues]
        await asyncio.sleep(opens + seconds + INTERVAL / 2 - time.monotonic())
        await service.close()
        lateness = _figures(starts, first_dues, opens, seconds)
        runs[WIREWORK].append(len(lateness))
        return _p99(lateness)

    def apscheduler(name: str, spread: bool) -> Callable[[], Awaitable[float]]:
        async def measure() -> float:
            starts, functions = _recorders(size, time.time)
            scheduler, first_dues = _start_apscheduler(
                functions, offsets if spread else [0.0] * size
            )
            opens = max(time.time(), min(first_dues)) + INTERVAL
            await asyncio.sleep(opens + seconds + INTERVAL / 2 - time.time())
            scheduler.shutdown(wait=False)
            lateness = _figures(starts, first_dues, opens, seconds)
            runs[name].append(len(lateness))
            return _p99(lateness)

        return measure

    async def main() -> None:
        # Wirework first in every round: APScheduler is handed the first due times it chose.
        samples = await interleave_async(
            [
                (WIREWORK, wirework),
                (APSCHEDULER, apscheduler(APSCHEDULER, spread=True)),
                (APSCHEDULER_AT_ONCE, apscheduler(APSCHEDULER_AT_ONCE, spread=False)),
            ],
            rounds=rounds,
            warmup=0,
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
    result.notes.append(
        f"{seconds:g} s per contender per round, {rounds} round(s), no warm-up round; "
        f"expected {expected:,} runs per round"
    )
    return result, offsets


def run(options: Options) -> list[BenchmarkResult]:
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # shutdown cancels queued jobs
    seconds = options.pick(4.0, 2.0)
    rounds = options.pick(3, 1)
    small, _ = _run_size(SIZES[0], seconds, rounds)
    large, offsets = _run_size(SIZES[1], seconds, rounds)
    for result in (small, large):
        best_peer = min((APSCHEDULER, APSCHEDULER_AT_ONCE), key=lambda n: result.row(n).median)
        result.ratio_target(
            best_peer, 1.0, description="wirework p99 lateness <= APScheduler's (better of two)"
        )
    wirework_large = large.row(WIREWORK).median
    large.target("wirework p99 lateness <= 10 ms", wirework_large, wirework_large <= 10, "ms")
    growth = wirework_large / small.row(WIREWORK).median
    large.target(f"report p99 growth {SIZES[0]:,} -> {SIZES[1]:,} tasks", growth, True)

    memory = BenchmarkResult(f"scheduler: memory per scheduled task, {SIZES[1]:,} tasks", "B")
    memory.higher_is_better = False
    with timed(memory):
        figures = _memory_per_task(SIZES[1], offsets)
    memory.rows = rows_from({name: [figure] for name, figure in figures.items()})
    memory.target("report bytes per scheduled task", figures[WIREWORK], True, "B")
    return [small, large, memory]
