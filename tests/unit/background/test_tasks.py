"""BackgroundService tasks: adding, removing and their stats, stopped or running."""

import asyncio
import math
from collections.abc import Callable
from unittest.mock import AsyncMock

import pytest

from providers.background import BackgroundService, BackgroundTask
from tests.helpers import AsyncTestHelper
from tests.unit.background.fakes import HangingTask, RecordingLock, scheduler_loops

wait_for = AsyncTestHelper.wait_for_condition
run_with_timeout = AsyncTestHelper.run_with_timeout


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
    slow = HangingTask()
    background_service.add_task("slow", slow, 0.01)
    await background_service.start()
    await run_with_timeout(slow.entered.wait())

    background_service.remove_task("slow")

    assert "slow" not in background_service.tasks
    assert await wait_for(lambda: slow.cancelled.is_set() and not scheduler_loops())
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


def test_a_function_that_cannot_be_called_is_refused_when_added(
    background_service: BackgroundService,
) -> None:
    """The mistake surfaces where the task is declared, not at its first run."""
    with pytest.raises(TypeError, match=r"'job'.*async callable"):
        background_service.add_task("job", "cleanup", 1)  # type: ignore[arg-type]
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
