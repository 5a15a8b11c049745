"""BackgroundService scheduling: first runs, due times on a fixed grid, skips, no overlap.

Real-time tests wait on conditions (`wait_for`) with generous bounds; exact schedule
arithmetic is checked with a `FakeClock` that moves only when a test (or a task) says so.
Those tests give their tasks `offset=0.0`: due times on whole intervals of the fake clock.
"""

import asyncio
import math
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

    service.add_task("job", work, 0.01, offset=0.0)
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

    service.add_task("job", work, 0.01, offset=0.0)
    await service.start()

    assert await wait_for(lambda: service.tasks["job"].skipped == 2)
    await asyncio.sleep(0.03)  # a bursting scheduler would catch up now
    assert len(starts) == 1

    clock.advance(0.0055)  # 1000.0305: the next due time on the grid
    assert await wait_for(lambda: len(starts) == 2)
    assert starts[1] == pytest.approx(1000.0305)
    assert service.tasks["job"].skipped == 2
    assert service.tasks["job"].runs == 2


async def test_later_runs_fall_at_a_point_of_the_interval_fixed_by_the_name(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    service = make_service(clock=clock)
    ran: list[str] = []

    def recorder(name: str) -> Callable[[], Any]:
        async def run() -> None:
            ran.append(name)

        return run

    for number in range(20):
        service.add_task(f"job-{number}", recorder(f"job-{number}"), 0.01)
    await service.start()
    # Every task runs at start-up, then waits at least an interval for its own point of it.
    assert await wait_for(lambda: all(task.runs == 1 for task in service.tasks.values()))
    dues = {name: task.due or 0 for name, task in service.tasks.items()}
    assert all(1000.01 <= due < 1000.02 for due in dues.values())
    assert len(set(dues.values())) == 20  # spread, not all at once
    ran.clear()
    await asyncio.sleep(0.02)
    assert not ran  # the fake clock has not reached any of them

    earliest = min(dues, key=dues.__getitem__)
    clock.now = dues[earliest]
    assert await wait_for(lambda: ran == [earliest])
    assert service.tasks[earliest].due == pytest.approx(dues[earliest] + 0.01)

    again = make_service(clock=FakeClock(start=5000.0))
    task = again.add_task("job-0", AsyncMock(), 0.01)
    await again.start()
    assert await wait_for(lambda: task.runs == 1)
    assert (task.due or 0) - 5000.0 == pytest.approx(dues["job-0"] - 1000.0)  # stable per name


async def test_a_task_given_an_offset_runs_only_at_that_point_of_wall_clock_intervals(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    wall = FakeClock(start=1_800_000_000.0042)  # Unix time, 4.2 ms past a whole 10 ms
    service = make_service(clock=clock, wall_clock=wall)
    starts: list[float] = []

    async def work() -> None:
        starts.append(wall())

    service.add_task("on-the-dot", work, 0.01, offset=0.005)
    service.add_task("hourly", AsyncMock(), 3600, offset=0.0)
    service.add_task("also-hourly", AsyncMock(), 3600, offset=0.0)
    await service.start()

    hourly = [service.tasks[name].due or 0 for name in ("hourly", "also-hourly")]
    assert hourly == pytest.approx([1000.0 + 3600 - 0.0042] * 2)  # on the hour, together
    assert service.tasks["on-the-dot"].due == pytest.approx(1000.0008)
    await asyncio.sleep(0.02)
    assert not starts  # not at start-up

    for count in (1, 2):
        due = service.tasks["on-the-dot"].due or 0
        wall.advance(due - clock())
        clock.now = due
        assert await wait_for(lambda: len(starts) == count)  # noqa: B023 (awaited at once)
    assert starts == pytest.approx([1_800_000_000.005, 1_800_000_000.015], abs=1e-6)


def test_an_offset_outside_the_interval_is_refused(background_service: BackgroundService) -> None:
    for offset in (-0.5, 60.0, math.nan):
        with pytest.raises(ValueError, match="offset"):
            background_service.add_task("job", AsyncMock(), 60, offset=offset)


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
    service.add_task("job", mock_task, 0.01, offset=0.0)
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
    task = service.add_task("job", mock_task, 0.01, offset=0.0)
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
    service.add_task("paused", paused, 0.01, offset=0.0).enabled = False
    service.add_task("ticker", ticker, 0.01, offset=0.0)
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


def test_the_timer_wakes_once_per_tick_while_a_run_is_not_yet_due() -> None:
    """Also on uvloop, which rounds a delay under half a millisecond to none at all."""
    uvloop = pytest.importorskip("uvloop")

    class CountingClock(FakeClock):
        reads = 0

        def __call__(self) -> float:
            self.reads += 1
            return self.now

    async def scenario() -> int:
        clock = CountingClock(start=1000.0)
        service = BackgroundService(clock=clock)
        task = service.add_task("job", AsyncMock(), 0.01)
        await service.start()
        assert await wait_for(lambda: task.runs == 1)
        clock.now = (task.due or 0) - 0.0003  # due in a third of a tick, and it stays so
        reads = clock.reads
        await asyncio.sleep(0.1)
        await service.close()
        return clock.reads - reads

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        reads = runner.run(scenario())
    assert reads < 1000  # a wake-up per tick reads it twice: about 200; a spinning timer, more
