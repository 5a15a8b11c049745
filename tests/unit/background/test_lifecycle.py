"""BackgroundService lifecycle: reload mode, opening and closing the lock, readiness, stats."""

import asyncio
import json
import math
import time
from collections.abc import Callable
from unittest.mock import AsyncMock

import pytest

from providers.background import BackgroundService
from tests.helpers import AsyncTestHelper
from tests.unit.background.fakes import RecordingLock, scheduler_loops

wait_for = AsyncTestHelper.wait_for_condition


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
        "offset",
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
