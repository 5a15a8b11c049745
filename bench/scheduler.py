"""Scheduler: 100 tasks every 100 ms for 10 s; how late each run starts, and how many run.

Lateness of a run is when it started minus the grid point it was due on (first due time +
k intervals), so a scheduler that drifts shows it in both figures: lateness grows, and
fewer runs fit in the window. Each task records a timestamp and returns; the figure per
round is the 99th percentile over every run of every task.
"""

import asyncio
import logging
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bench.harness import BenchmarkResult, Options, interleave_async, rows_from, run_async, timed

TASKS = 100
INTERVAL = 0.1
APSCHEDULER = "APScheduler 3 AsyncIOScheduler"


def _figures(starts: list[list[float]], first_due: float, seconds: float) -> tuple[float, int]:
    """p99 lateness (ms) of the runs due inside the window, and how many there were."""
    lateness = []
    for task_starts in starts:
        for started in task_starts:
            elapsed = started - first_due
            due_index = math.floor(elapsed / INTERVAL + 1e-9)
            if due_index * INTERVAL < seconds:
                lateness.append((elapsed - due_index * INTERVAL) * 1e3)
    percentile = statistics.quantiles(lateness, n=100)[98] if len(lateness) > 1 else math.inf
    return percentile, len(lateness)


def _recorders(
    clock: Callable[[], float],
) -> tuple[list[list[float]], list[Callable[[], Awaitable[None]]]]:
    starts: list[list[float]] = [[] for _ in range(TASKS)]

    def recorder(record: list[float]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            record.append(clock())

        return run

    return starts, [recorder(record) for record in starts]


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult(
        f"scheduler: {TASKS} tasks every {INTERVAL * 1e3:g} ms, p99 lateness", "ms"
    )
    result.higher_is_better = False
    seconds = options.pick(10.0, 3.0)
    rounds = options.pick(3, 1)
    expected = TASKS * math.ceil(seconds / INTERVAL - 1e-9)
    runs: dict[str, list[int]] = {"wirework BackgroundService": [], APSCHEDULER: []}
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    async def wirework() -> float:
        from providers.background import BackgroundService  # noqa: PLC0415

        service = BackgroundService()
        await service.initialize()
        starts, functions = _recorders(time.monotonic)
        for index, function in enumerate(functions):
            service.add_task(f"task-{index}", function, INTERVAL)
        first_due = time.monotonic()
        await service.start()
        await asyncio.sleep(seconds + INTERVAL / 2)
        await service.close()
        p99, count = _figures(starts, first_due, seconds)
        runs["wirework BackgroundService"].append(count)
        return p99

    async def apscheduler() -> float:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]  # noqa: PLC0415
        from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]  # noqa: PLC0415

        scheduler = AsyncIOScheduler(timezone=UTC)
        starts, functions = _recorders(time.time)
        first_due = datetime.now(UTC) + timedelta(seconds=0.2)
        for index, function in enumerate(functions):
            trigger = IntervalTrigger(seconds=INTERVAL, start_date=first_due, timezone=UTC)
            scheduler.add_job(function, trigger, id=f"task-{index}")
        scheduler.start()
        await asyncio.sleep(first_due.timestamp() - time.time() + seconds + INTERVAL / 2)
        scheduler.shutdown(wait=False)
        p99, count = _figures(starts, first_due.timestamp(), seconds)
        runs[APSCHEDULER].append(count)
        return p99

    async def main() -> None:
        samples = await interleave_async(
            [("wirework BackgroundService", wirework), (APSCHEDULER, apscheduler)],
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
    wirework_row = result.wirework
    assert wirework_row is not None
    result.target(
        "wirework p99 lateness <= 5 ms", wirework_row.median, wirework_row.median <= 5, "ms"
    )
    result.ratio_target(APSCHEDULER, 1.0, description="wirework p99 lateness <= APScheduler's")
    worst = max(abs(count - expected) for count in runs["wirework BackgroundService"])
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
    return result
