"""BackgroundService scheduling: first runs, due times on a fixed grid, skips, no overlap.

Real-time tests wait on conditions (`wait_for`) with generous bounds; exact schedule
arithmetic is checked with a `FakeClock` that moves only when a test (or a task) says so.
"""

import asyncio
from collections.abc import Callable
from typing import Any
from unittest.mock import AsyncMock

import pytest

from app.testing import FakeClock
from providers.background import BackgroundService
from tests.helpers import AsyncTestHelper
from tests.unit.background.fakes import scheduler_loops

wait_for = AsyncTestHelper.wait_for_condition


async def test_background_service_start_stop(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("test_task", mock_task, 3600)

    await background_service.start()
    assert background_service.is_running
    # The first run is at start, not an interval later (generous bound: a loaded machine).
    assert await wait_for(lambda: mock_task.await_count == 1, timeout=5)

    await background_service.stop()
    assert not background_service.is_running
    assert not scheduler_loops()


async def test_task_execution(background_service: BackgroundService, mock_task: AsyncMock) -> None:
    background_service.add_task("test_task", mock_task, 0.1)

    await background_service.start()

    assert await wait_for(lambda: mock_task.await_count >= 2)  # repeats, not just once
    await background_service.stop()


async def test_next_run_is_due_one_interval_after_the_previous_due_time(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    service = make_service(clock=clock)
    starts: list[float] = []

    async def work() -> None:
        starts.append(clock())
        clock.advance(0.004)  # each run takes 4 ms of clock time

    service.add_task("job", work, 0.01)
    await service.start()
    assert await wait_for(lambda: len(starts) == 1)

    # Just past each due time (1000.01, 1000.02), but before "run end + interval"
    # (1000.014, 1000.0245): a scheduler counting from the end of the run would wait.
    clock.advance(0.0065)
    assert await wait_for(lambda: len(starts) == 2)
    clock.advance(0.006)
    assert await wait_for(lambda: len(starts) == 3)

    assert starts == pytest.approx([1000.0, 1000.0105, 1000.0205])
    assert service.tasks["job"].skipped == 0


async def test_due_times_passed_during_a_long_run_are_skipped_not_burst(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    service = make_service(clock=clock)
    starts: list[float] = []

    async def work() -> None:
        starts.append(clock())
        if len(starts) == 1:
            clock.advance(0.025)  # the first run spans 1000.01 and 1000.02

    service.add_task("job", work, 0.01)
    await service.start()

    assert await wait_for(lambda: service.tasks["job"].skipped == 2)
    await asyncio.sleep(0.03)  # a bursting scheduler would catch up now
    assert len(starts) == 1

    clock.advance(0.0055)  # 1000.0305: the next due time on the grid
    assert await wait_for(lambda: len(starts) == 2)
    assert starts[1] == pytest.approx(1000.0305)
    assert service.tasks["job"].skipped == 2
    assert service.tasks["job"].runs == 2


async def test_spread_first_runs_fall_at_stable_points_within_the_interval(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    service = make_service(clock=clock, spread_first_runs=True)
    ran: list[str] = []

    def recorder(name: str) -> Callable[[], Any]:
        async def run() -> None:
            ran.append(name)

        return run

    for number in range(20):
        service.add_task(f"job-{number}", recorder(f"job-{number}"), 0.01)
    await service.start()

    dues = {name: task.due for name, task in service.tasks.items()}
    assert all(due is not None and 1000.0 <= due < 1000.01 for due in dues.values())
    assert len(set(dues.values())) == 20  # spread, not all at once
    await asyncio.sleep(0.02)
    assert not ran  # the fake clock has not reached any of them

    earliest = min(dues, key=lambda name: dues[name] or 0)
    clock.now = dues[earliest] or 0
    assert await wait_for(lambda: ran == [earliest])

    again = make_service(clock=FakeClock(start=1000.0), spread_first_runs=True)
    again.add_task("job-0", AsyncMock(), 0.01)
    await again.start()
    assert again.tasks["job-0"].due == dues["job-0"]  # a restart keeps each task's phase


async def test_a_schedule_holds_no_asyncio_task_between_runs(
    background_service: BackgroundService,
) -> None:
    functions = [AsyncMock() for _ in range(500)]
    for number, function in enumerate(functions):
        background_service.add_task(f"job-{number}", function, 3600)

    await background_service.start()
    assert await wait_for(lambda: all(function.called for function in functions), timeout=5)

    assert await wait_for(lambda: not scheduler_loops())
    assert all(task.due is not None for task in background_service.tasks.values())


async def test_task_removed_between_runs_never_runs_again(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    clock = FakeClock(start=1000.0)
    service = make_service(clock=clock)
    service.add_task("job", mock_task, 0.01)
    await service.start()
    assert await wait_for(lambda: mock_task.await_count == 1)
    assert await wait_for(lambda: service.tasks["job"].due == pytest.approx(1000.01))

    service.remove_task("job")
    clock.advance(0.05)
    await asyncio.sleep(0.03)

    assert mock_task.await_count == 1


async def test_due_time_is_kept_while_running_and_cleared_by_stop(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    service = make_service(clock=FakeClock(start=1000.0))
    task = service.add_task("job", mock_task, 0.01)
    assert task.due is None

    await service.start()
    assert task.due == pytest.approx(1000.0)
    await service.stop()

    assert task.due is None


async def test_a_run_still_going_is_never_started_twice(
    background_service: BackgroundService,
) -> None:
    active = 0
    most_active = 0

    async def slow() -> None:
        nonlocal active, most_active
        active += 1
        most_active = max(most_active, active)
        await asyncio.sleep(0.05)  # two and a half intervals
        active -= 1

    background_service.add_task("slow", slow, 0.02)
    await background_service.start()
    assert await wait_for(lambda: background_service.tasks["slow"].runs >= 3)

    task = background_service.tasks["slow"]
    assert most_active == 1
    assert task.skipped >= task.runs  # two due times pass during every run
    assert task.errors == 0


async def test_disabled_task_lets_due_times_pass(
    make_service: Callable[..., BackgroundService], clock: FakeClock
) -> None:
    service = make_service(clock=clock)
    paused = AsyncMock()
    ticker = AsyncMock()
    service.add_task("paused", paused, 0.01).enabled = False
    service.add_task("ticker", ticker, 0.01)
    await service.start()
    assert await wait_for(lambda: ticker.await_count == 1)

    clock.advance(0.035)  # three due times pass at once, as on a late wake-up
    assert await wait_for(lambda: service.tasks["paused"].due == pytest.approx(1000.04))

    assert not paused.called
    assert service.tasks["paused"].skipped == 0  # not run because disabled, not skipped
    assert service.tasks["ticker"].skipped == 2  # missed while the loop was late

    service.tasks["paused"].enabled = True
    clock.advance(0.01)
    assert await wait_for(lambda: paused.called)
