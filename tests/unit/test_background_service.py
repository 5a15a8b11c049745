"""BackgroundService: the guide's cases first, then scheduling, isolation and lifecycle.

Real-time tests wait on conditions (`wait_for`) with generous bounds; exact schedule
arithmetic is checked with a `FakeClock` that moves only when a test (or a task) says so.
"""

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import AsyncMock

import pytest

from app.testing import FakeClock
from providers.background import LEASE_INTERVALS, BackgroundService, BackgroundTask
from providers.background.locks import LocalTaskLock
from tests.helpers import AsyncTestHelper

wait_for = AsyncTestHelper.wait_for_condition
run_with_timeout = AsyncTestHelper.run_with_timeout

LOGGER = "providers.background.scheduler"


class RecordingLock:
    """A TaskLock fake that records calls and can lose every lease or be down."""

    def __init__(self, *, won: bool = True, error: Exception | None = None) -> None:
        self.won = won
        self.error = error
        self.calls: list[tuple[Any, ...]] = []

    async def initialize(self) -> None:
        self.calls.append(("initialize",))
        await asyncio.sleep(0)  # yields, as a network round trip would

    async def try_acquire(self, name: str, ttl: float) -> bool:
        self.calls.append(("try_acquire", name, ttl))
        if self.error is not None:
            raise self.error
        return self.won

    async def ping(self) -> None:
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        self.calls.append(("close",))


@pytest.fixture
def mock_task() -> AsyncMock:
    """An async task function that records its calls."""
    return AsyncMock()


@pytest.fixture
async def make_service() -> AsyncIterator[Callable[..., BackgroundService]]:
    """Builds services with custom arguments (fake clock, fake lock...); closes them after."""
    made: list[BackgroundService] = []

    def make(**options: Any) -> BackgroundService:
        service = BackgroundService(**options)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


def scheduler_loops() -> list[str]:
    """Names of the scheduler's asyncio tasks still alive (one per run in progress)."""
    names = (task.get_name() for task in asyncio.all_tasks())
    return sorted(name for name in names if name.startswith("background:"))


# --- The guide's cases -----------------------------------------------------------------


async def test_background_service_initialization(background_service: BackgroundService) -> None:
    assert not background_service.is_running
    assert len(background_service.tasks) == 0


async def test_add_remove_task(background_service: BackgroundService, mock_task: AsyncMock) -> None:
    background_service.add_task("test_task", mock_task, 60)

    assert "test_task" in background_service.tasks
    assert isinstance(background_service.tasks["test_task"], BackgroundTask)
    assert background_service.tasks["test_task"].interval == 60
    assert background_service.tasks["test_task"].enabled is True

    background_service.remove_task("test_task")
    assert "test_task" not in background_service.tasks


async def test_background_service_start_stop(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("test_task", mock_task, 1)

    await background_service.start()
    assert background_service.is_running
    assert await wait_for(lambda: mock_task.await_count == 1)  # the first run is immediate

    await background_service.stop()
    assert not background_service.is_running
    assert not scheduler_loops()


async def test_task_execution(background_service: BackgroundService, mock_task: AsyncMock) -> None:
    background_service.add_task("test_task", mock_task, 0.1)

    await background_service.start()

    assert await wait_for(lambda: mock_task.await_count >= 2)  # repeats, not just once
    await background_service.stop()


async def test_task_error_handling(background_service: BackgroundService) -> None:
    error_task = AsyncMock(side_effect=Exception("Test error"))
    background_service.add_task("error_task", error_task, 0.1)

    await background_service.start()
    assert await wait_for(lambda: background_service.tasks["error_task"].errors > 0)

    stats = background_service.get_stats()
    assert stats["task_stats"]["error_task"]["errors"] > 0
    assert "Test error" in stats["task_stats"]["error_task"]["last_error"]
    await background_service.stop()


async def test_background_service_stats(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("test_task", mock_task, 60)

    stats = background_service.get_stats()
    assert stats["status"] == "stopped"
    assert stats["tasks"] == 1
    assert "test_task" in stats["task_stats"]

    await background_service.start()
    assert background_service.get_stats()["status"] == "running"

    await background_service.stop()
    assert background_service.get_stats()["status"] == "stopped"


# --- Scheduling ------------------------------------------------------------------------


async def test_first_run_happens_at_start(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("hourly", mock_task, 3600)

    await background_service.start()

    assert await wait_for(lambda: mock_task.await_count == 1, timeout=5)


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


# --- Failures, timeouts and cancellation -----------------------------------------------


async def test_failing_task_does_not_stop_others(
    background_service: BackgroundService, caplog: pytest.LogCaptureFixture
) -> None:
    failing = AsyncMock(side_effect=RuntimeError("disk full"))
    healthy = AsyncMock()
    background_service.add_task("failing", failing, 0.01)
    background_service.add_task("healthy", healthy, 0.01)

    with caplog.at_level(logging.ERROR, logger=LOGGER):
        await background_service.start()
        assert await wait_for(lambda: failing.await_count >= 3 and healthy.await_count >= 3)

    stats = background_service.get_stats()["task_stats"]
    assert stats["failing"]["errors"] == stats["failing"]["runs"] >= 3  # it keeps its schedule
    assert stats["failing"]["last_error"] == "RuntimeError: disk full"
    assert stats["healthy"]["errors"] == 0
    assert stats["healthy"]["last_error"] is None
    logged = [r for r in caplog.records if r.name == LOGGER and "'failing'" in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


async def test_hanging_task_is_cancelled_at_its_timeout(
    background_service: BackgroundService,
) -> None:
    cancelled = asyncio.Event()

    async def hang() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    other = AsyncMock()
    background_service.add_task("hang", hang, 3600, timeout=0.05)
    background_service.add_task("other", other, 0.01)
    await background_service.start()

    assert await wait_for(lambda: background_service.tasks["hang"].timeouts == 1)
    hung = background_service.tasks["hang"]
    assert cancelled.is_set()
    assert hung.errors == 1
    assert hung.runs == 1
    assert hung.last_error is not None
    assert "TimeoutError" in hung.last_error
    assert "0.05" in hung.last_error
    assert other.await_count >= 2  # kept its schedule while "hang" hung


async def test_timeout_error_raised_by_the_task_is_not_a_timeout(
    background_service: BackgroundService,
) -> None:
    upstream = AsyncMock(side_effect=TimeoutError("upstream did not answer"))
    background_service.add_task("fetch", upstream, 3600, timeout=10)

    await background_service.start()
    assert await wait_for(lambda: background_service.tasks["fetch"].errors == 1)

    assert background_service.tasks["fetch"].timeouts == 0
    assert background_service.tasks["fetch"].last_error == "TimeoutError: upstream did not answer"


async def test_stop_cancels_a_running_task_without_counting_an_error(
    background_service: BackgroundService,
) -> None:
    entered = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow() -> None:
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    background_service.add_task("slow", slow, 3600)
    await background_service.start()
    await run_with_timeout(entered.wait())

    await run_with_timeout(background_service.stop())

    assert cancelled.is_set()
    task = background_service.tasks["slow"]
    assert (task.errors, task.last_error, task.runs) == (0, None, 0)
    assert not scheduler_loops()


async def test_stop_returns_in_time_when_a_task_ignores_cancellation(
    make_service: Callable[..., BackgroundService], caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(stop_timeout=0.05)
    entered = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def stubborn() -> None:
        nonlocal calls
        calls += 1
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            if calls > 1:
                raise  # only the first run misbehaves, so a scheduler bug cannot hang the suite
            await release.wait()  # swallows the cancellation

    service.add_task("stubborn", stubborn, 0.01)
    await service.start()
    await run_with_timeout(entered.wait())

    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        try:
            await run_with_timeout(service.stop())
        finally:
            stopped_after = time.monotonic() - began
            release.set()  # let the function finish, whatever the outcome
    assert stopped_after < 0.5  # bounded by stop_timeout, not by the task
    assert not service.is_running
    assert any("'stubborn'" in r.getMessage() for r in caplog.records if r.name == LOGGER)

    # Once the function gives up, its loop ends instead of scheduling another run.
    assert await wait_for(lambda: not scheduler_loops())
    assert calls == 1


async def test_cancelled_error_raised_by_a_task_is_not_swallowed(
    background_service: BackgroundService, caplog: pytest.LogCaptureFixture
) -> None:
    gives_up = AsyncMock(side_effect=asyncio.CancelledError)
    healthy = AsyncMock()
    background_service.add_task("gives_up", gives_up, 0.01)
    background_service.add_task("healthy", healthy, 0.01)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await background_service.start()
        assert await wait_for(lambda: "background:gives_up" not in scheduler_loops())
        assert await wait_for(lambda: healthy.await_count >= 3)

    assert gives_up.await_count == 1  # its loop ended rather than retrying
    assert background_service.tasks["gives_up"].errors == 0
    assert background_service.tasks["gives_up"].last_error is None
    assert any("'gives_up'" in r.getMessage() for r in caplog.records if r.name == LOGGER)


async def test_a_task_may_stop_the_service(background_service: BackgroundService) -> None:
    other = AsyncMock()

    async def shutdown() -> None:
        await background_service.stop()

    background_service.add_task("other", other, 3600)
    background_service.add_task("shutdown", shutdown, 3600)
    await background_service.start()

    assert await wait_for(lambda: not background_service.is_running and not scheduler_loops())


# --- Adding and removing tasks ---------------------------------------------------------


async def test_task_added_while_running_starts(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    first = AsyncMock()
    background_service.add_task("first", first, 3600)
    await background_service.start()
    assert await wait_for(lambda: first.called)  # the timer now waits an hour

    background_service.add_task("late", mock_task, 3600)

    assert await wait_for(lambda: mock_task.called)


async def test_task_removed_while_running_is_cancelled(
    background_service: BackgroundService,
) -> None:
    entered = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow() -> None:
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    background_service.add_task("slow", slow, 0.01)
    await background_service.start()
    await run_with_timeout(entered.wait())

    background_service.remove_task("slow")

    assert "slow" not in background_service.tasks
    assert await wait_for(lambda: cancelled.is_set() and not scheduler_loops())
    assert background_service.is_running


async def test_stop_awaits_a_removed_task_that_is_still_finishing(
    background_service: BackgroundService,
) -> None:
    entered = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def lingering() -> None:
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # clean-up that takes a moment
            cleaned_up.set()
            raise

    background_service.add_task("lingering", lingering, 3600)
    await background_service.start()
    await run_with_timeout(entered.wait())
    background_service.remove_task("lingering")
    assert not cleaned_up.is_set()

    await run_with_timeout(background_service.stop())

    assert cleaned_up.is_set()


async def test_starting_twice_does_not_double_the_schedule(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("hourly", mock_task, 3600)

    await background_service.start()
    await background_service.start()

    assert await wait_for(lambda: mock_task.called)
    await asyncio.sleep(0.02)  # a doubled schedule runs twice at its first due time
    assert mock_task.await_count == 1


async def test_stopped_service_can_start_again(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    background_service.add_task("hourly", mock_task, 3600)
    await background_service.start()
    assert await wait_for(lambda: mock_task.await_count == 1)
    await background_service.stop()

    await background_service.start()

    assert background_service.is_running
    assert await wait_for(lambda: mock_task.await_count == 2)


async def test_concurrent_starts_schedule_each_task_once(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    service = make_service(lock=RecordingLock())
    service.add_task("hourly", mock_task, 3600)

    await asyncio.gather(service.start(), service.start())

    assert await wait_for(lambda: mock_task.called)
    await asyncio.sleep(0.02)  # a doubled schedule runs twice at its first due time
    assert mock_task.await_count == 1


@pytest.mark.parametrize("interval", [0, -1, -0.5, math.nan, math.inf])
def test_interval_must_be_positive(
    background_service: BackgroundService, mock_task: AsyncMock, interval: float
) -> None:
    with pytest.raises(ValueError, match="interval"):
        background_service.add_task("job", mock_task, interval)
    assert "job" not in background_service.tasks


@pytest.mark.parametrize("timeout", [0, -1, math.nan])
def test_timeout_must_be_positive(
    background_service: BackgroundService, mock_task: AsyncMock, timeout: float
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        background_service.add_task("job", mock_task, 1, timeout=timeout)
    assert "job" not in background_service.tasks


def test_duplicate_name_is_refused(background_service: BackgroundService) -> None:
    first = AsyncMock()
    background_service.add_task("job", first, 1)

    with pytest.raises(ValueError, match="'job' already exists"):
        background_service.add_task("job", AsyncMock(), 2)
    assert background_service.tasks["job"].func is first


def test_removing_an_unknown_task_names_it(background_service: BackgroundService) -> None:
    with pytest.raises(KeyError, match="no background task named 'nope'"):
        background_service.remove_task("nope")


def test_tasks_cannot_be_added_behind_the_services_back(
    background_service: BackgroundService, mock_task: AsyncMock
) -> None:
    with pytest.raises(TypeError):
        background_service.tasks["job"] = BackgroundTask("job", mock_task, 1)  # type: ignore[index]


# --- Exclusive tasks and the lock ------------------------------------------------------


async def test_exclusive_task_holds_the_local_lease_while_it_runs(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    clock = FakeClock()
    service = make_service(clock=clock)
    lock = service.lock
    assert isinstance(lock, LocalTaskLock)
    service.add_task("report", mock_task, 0.01, exclusive=True)

    await service.start()
    assert await wait_for(lambda: mock_task.called)

    other_instance = LocalTaskLock(clock=clock, leases=lock.leases)
    assert not await other_instance.try_acquire("report", 1)  # it must wait


async def test_exclusive_task_is_skipped_while_another_instance_holds_the_lease(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    clock = FakeClock(start=1000.0)
    lock = LocalTaskLock(clock=clock)
    other_instance = LocalTaskLock(clock=clock, leases=lock.leases)
    assert await other_instance.try_acquire("report", 0.025)  # held until 1000.025
    service = make_service(clock=clock, lock=lock)
    service.add_task("report", mock_task, 0.01, exclusive=True)

    await service.start()
    assert await wait_for(lambda: service.tasks["report"].skipped == 1)  # due 1000.00
    clock.advance(0.0105)
    assert await wait_for(lambda: service.tasks["report"].skipped == 2)  # due 1000.01
    clock.advance(0.01)
    assert await wait_for(lambda: service.tasks["report"].skipped == 3)  # due 1000.02
    assert not mock_task.called

    clock.advance(0.01)  # due 1000.03: the other lease has expired
    assert await wait_for(lambda: mock_task.called)
    assert service.tasks["report"].skipped == 3


async def test_only_exclusive_tasks_take_the_lock_for_about_an_interval(
    make_service: Callable[..., BackgroundService],
) -> None:
    lock = RecordingLock()
    service = make_service(lock=lock)
    exclusive = AsyncMock()
    shared = AsyncMock()
    service.add_task("exclusive", exclusive, 2.0, exclusive=True)
    service.add_task("shared", shared, 2.0)

    await service.start()
    assert await wait_for(lambda: exclusive.called and shared.called)

    acquired = [call for call in lock.calls if call[0] == "try_acquire"]
    assert acquired == [("try_acquire", "exclusive", pytest.approx(2.0 * LEASE_INTERVALS))]


async def test_lost_lease_is_skipped_not_run(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    service = make_service(lock=RecordingLock(won=False))
    service.add_task("report", mock_task, 0.01, exclusive=True)

    await service.start()

    assert await wait_for(lambda: service.tasks["report"].skipped >= 3)
    assert not mock_task.called
    assert service.tasks["report"].errors == 0


async def test_unavailable_lock_counts_as_an_error_and_spares_other_tasks(
    make_service: Callable[..., BackgroundService],
) -> None:
    service = make_service(lock=RecordingLock(error=ConnectionError("lock server down")))
    exclusive = AsyncMock()
    shared = AsyncMock()
    service.add_task("exclusive", exclusive, 0.01, exclusive=True)
    service.add_task("shared", shared, 0.01)

    await service.start()

    assert await wait_for(
        lambda: service.tasks["exclusive"].errors >= 2 and shared.await_count >= 2
    )
    assert not exclusive.called
    assert service.tasks["exclusive"].last_error == "ConnectionError: lock server down"


@pytest.mark.parametrize(
    ("lock_url", "lock_type"),
    [("redis://localhost:6379/0", "RedisTaskLock"), ("postgresql://db/app", "PostgresTaskLock")],
)
def test_lock_url_chooses_the_server_lock(lock_url: str, lock_type: str) -> None:
    assert type(BackgroundService(lock_url=lock_url).lock).__name__ == lock_type


def test_lock_url_and_lock_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either lock_url or lock"):
        BackgroundService(lock_url="redis://localhost", lock=LocalTaskLock())


# --- Lifecycle -------------------------------------------------------------------------


async def test_reload_mode_opens_nothing_and_never_starts(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    lock = RecordingLock()
    service = make_service(reload_mode=True, lock=lock)
    service.add_task("job", mock_task, 0.01)

    await service.initialize()
    await service.start()

    assert not service.is_running
    assert service.get_stats()["status"] == "stopped"
    assert ("initialize",) not in lock.calls
    await asyncio.sleep(0.05)  # five intervals: long enough for a started task to run
    assert not mock_task.called
    await service.ping()  # reload mode is not a failure


async def test_lifecycle_opens_and_closes_the_lock(
    make_service: Callable[..., BackgroundService], mock_task: AsyncMock
) -> None:
    lock = RecordingLock()
    service = make_service(lock=lock)
    service.add_task("job", mock_task, 3600)

    await service.initialize()
    await service.ping()
    await service.start()
    await service.close()
    await service.close()  # closing twice is harmless

    assert lock.calls.count(("initialize",)) == 1
    assert lock.calls.count(("close",)) == 1
    assert not service.is_running
    assert not scheduler_loops()


async def test_closed_service_cannot_serve(background_service: BackgroundService) -> None:
    await background_service.initialize()
    await background_service.close()

    with pytest.raises(RuntimeError, match="closed"):
        await background_service.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await background_service.start()


async def test_ping_raises_when_the_lock_backend_is_down(
    make_service: Callable[..., BackgroundService],
) -> None:
    service = make_service(lock=RecordingLock(error=ConnectionError("lock server down")))
    await service.initialize()

    with pytest.raises(ConnectionError, match="lock server down"):
        await service.ping()


@pytest.mark.parametrize("stop_timeout", [0, -1, math.nan])
def test_stop_timeout_must_be_positive(stop_timeout: float) -> None:
    with pytest.raises(ValueError, match="stop_timeout"):
        BackgroundService(stop_timeout=stop_timeout)


async def test_stats_are_json_serialisable(background_service: BackgroundService) -> None:
    background_service.add_task("ok", AsyncMock(), 0.01, timeout=1.5)
    background_service.add_task("bad", AsyncMock(side_effect=ValueError("bad input")), 0.01)
    await background_service.start()
    assert await wait_for(
        lambda: (
            background_service.tasks["ok"].runs >= 1 and background_service.tasks["bad"].errors >= 1
        )
    )

    stats = background_service.get_stats()

    assert json.loads(json.dumps(stats, allow_nan=False)) == stats
    assert set(stats["task_stats"]["ok"]) == {
        "interval",
        "exclusive",
        "timeout",
        "enabled",
        "runs",
        "errors",
        "timeouts",
        "skipped",
        "last_error",
        "last_run",
        "last_duration",
    }
    assert stats["task_stats"]["ok"]["timeout"] == 1.5
    assert stats["task_stats"]["ok"]["last_run"] == pytest.approx(time.time(), abs=5)
    assert stats["task_stats"]["ok"]["last_duration"] >= 0
