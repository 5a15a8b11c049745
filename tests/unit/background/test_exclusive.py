"""BackgroundService exclusive tasks: one run per interval across instances, via the lock."""

from collections.abc import Callable
from unittest.mock import AsyncMock

import pytest

from app.testing import FakeClock
from providers.background import LEASE_GRACE, BackgroundService
from providers.background.locks import LocalTaskLock
from tests.helpers import AsyncTestHelper
from tests.unit.background.fakes import RecordingLock

wait_for = AsyncTestHelper.wait_for_condition


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
    service.add_task("report", mock_task, 0.01, exclusive=True, offset=0.0)

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


async def test_only_exclusive_tasks_take_the_lock_until_past_their_next_due_time(
    make_service: Callable[..., BackgroundService],
) -> None:
    clock = FakeClock(start=1000.0)
    lock = RecordingLock()
    service = make_service(lock=lock, clock=clock)
    exclusive = service.add_task("exclusive", AsyncMock(), 0.01, exclusive=True)
    shared = service.add_task("shared", AsyncMock(), 0.01)

    await service.start()
    assert await wait_for(lambda: exclusive.runs == shared.runs == 1)
    after_start_up = exclusive.due or 0
    clock.now = after_start_up
    assert await wait_for(lambda: exclusive.runs == 2)

    # The run at start-up waits longer than an interval for the next: its lease covers that.
    acquired = [call for call in lock.calls if call[0] == "try_acquire"]
    assert acquired == [
        ("try_acquire", "exclusive", pytest.approx(after_start_up - 1000.0 + 0.01 * LEASE_GRACE)),
        ("try_acquire", "exclusive", pytest.approx(0.01 + 0.01 * LEASE_GRACE)),
    ]


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
