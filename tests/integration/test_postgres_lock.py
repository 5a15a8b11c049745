"""Exclusive tasks on PostgreSQL: one instance holds a task's advisory lock at a time."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from providers.background import BackgroundService
from providers.background.locks.postgres import PostgresTaskLock, advisory_key
from tests.helpers import AsyncTestHelper

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two_instances(
    postgres_url: str,
) -> AsyncIterator[tuple[PostgresTaskLock, PostgresTaskLock]]:
    first, second = PostgresTaskLock(postgres_url), PostgresTaskLock(postgres_url)
    await first.initialize()
    await second.initialize()
    yield first, second
    await first.close()
    await second.close()


def test_keys_are_stable_and_distinct() -> None:
    assert advisory_key("report") == advisory_key("report")
    assert advisory_key("report") != advisory_key("cleanup")


async def test_one_holder_at_a_time_until_it_closes(
    two_instances: tuple[PostgresTaskLock, PostgresTaskLock],
) -> None:
    first, second = two_instances
    assert await first.try_acquire("report", 1.0)
    assert not await second.try_acquire("report", 1.0)
    assert await first.try_acquire("report", 1.0)  # the holder keeps it
    assert await second.try_acquire("other-task", 1.0)  # locks are per task name
    await first.close()
    assert await second.try_acquire("report", 1.0)


async def test_a_dead_holder_is_replaced(
    two_instances: tuple[PostgresTaskLock, PostgresTaskLock], postgres_server_url: str
) -> None:
    first, second = two_instances
    assert await first.try_acquire("report", 1.0)
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.1)
    assert await second.try_acquire("report", 1.0)
    assert not await first.try_acquire("report", 1.0)  # reconnected, and lost it


async def test_closed_lock_refuses_to_serve(postgres_url: str) -> None:
    """As the other locks: closing must not be undone by a later call reconnecting."""
    lock = PostgresTaskLock(postgres_url)
    await lock.initialize()
    await lock.close()

    with pytest.raises(RuntimeError, match="closed"):
        await lock.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await lock.try_acquire("report", 1.0)


async def test_unreachable_server_skips_rather_than_runs() -> None:
    lock = PostgresTaskLock("postgresql://app:hunter2@127.0.0.1:1/app", connect_timeout=0.5)
    with pytest.raises(ConnectionError, match=r"app:\*\*\*@") as caught:
        await lock.initialize()
    assert "hunter2" not in str(caught.value)
    assert not await lock.try_acquire("report", 1.0)
    with pytest.raises(ConnectionError):
        await lock.ping()


async def test_exclusive_task_runs_on_one_of_three_schedulers(postgres_url: str) -> None:
    runs: list[int] = []
    services = [BackgroundService(lock=PostgresTaskLock(postgres_url)) for _ in range(3)]
    for number, service in enumerate(services):
        await service.initialize()

        async def tick(number: int = number) -> None:
            runs.append(number)

        service.add_task("tick", tick, 0.1, exclusive=True)
    await asyncio.gather(*(service.start() for service in services))
    assert await AsyncTestHelper.wait_for_condition(lambda: len(runs) >= 6, timeout=30)
    await asyncio.gather(*(service.close() for service in services))
    assert len(set(runs)) == 1  # all of them on the instance that holds the lock
    # ... and the two others skipped their due times: counted over runs, not seconds.
    skipped = sum(service.get_stats()["task_stats"]["tick"]["skipped"] for service in services)
    assert skipped >= len(runs)
