"""BackgroundService isolation: failures, timeouts and cancellation stay inside one task."""

import asyncio
import logging
import time
from collections.abc import Callable
from unittest.mock import AsyncMock

import pytest

from providers.background import BackgroundService
from tests.helpers import AsyncTestHelper
from tests.unit.background.fakes import LOGGER, HangingTask, scheduler_loops

wait_for = AsyncTestHelper.wait_for_condition
run_with_timeout = AsyncTestHelper.run_with_timeout


async def test_task_error_handling(background_service: BackgroundService) -> None:
    error_task = AsyncMock(side_effect=Exception("Test error"))
    background_service.add_task("error_task", error_task, 0.1)

    await background_service.start()
    assert await wait_for(lambda: background_service.tasks["error_task"].errors > 0)

    stats = background_service.get_stats()
    assert stats["task_stats"]["error_task"]["errors"] > 0
    assert "Test error" in stats["task_stats"]["error_task"]["last_error"]
    await background_service.stop()


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
    hang = HangingTask()
    other = AsyncMock()
    background_service.add_task("hang", hang, 3600, timeout=0.05)
    background_service.add_task("other", other, 0.01)
    await background_service.start()

    assert await wait_for(lambda: background_service.tasks["hang"].timeouts == 1)
    hung = background_service.tasks["hang"]
    assert hang.cancelled.is_set()
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
    slow = HangingTask()
    background_service.add_task("slow", slow, 3600)
    await background_service.start()
    await run_with_timeout(slow.entered.wait())

    await run_with_timeout(background_service.stop())

    assert slow.cancelled.is_set()
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
