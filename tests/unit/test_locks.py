"""Task locks: the lease contract every backend keeps, shown on the in-process one."""

import logging
import math

import pytest

from app.testing import FakeClock
from providers.background.locks import LocalTaskLock, create_task_lock
from providers.background.locks.postgres import PostgresTaskLock
from providers.background.locks.redis import RedisTaskLock


async def test_holder_takes_and_renews_its_lease() -> None:
    lock = LocalTaskLock(clock=FakeClock())

    assert await lock.try_acquire("report", 10)
    assert await lock.try_acquire("report", 10)  # renewing is not blocked by one's own lease


async def test_another_holder_waits_for_the_lease_to_expire() -> None:
    clock = FakeClock()
    first = LocalTaskLock(clock=clock)
    second = LocalTaskLock(clock=clock, leases=first.leases)
    assert await first.try_acquire("report", 10)

    clock.advance(9.9)
    assert not await second.try_acquire("report", 10)

    clock.advance(0.2)  # the first holder did not renew in time
    assert await second.try_acquire("report", 10)
    assert not await first.try_acquire("report", 10)


async def test_renewal_extends_the_lease() -> None:
    clock = FakeClock()
    first = LocalTaskLock(clock=clock)
    second = LocalTaskLock(clock=clock, leases=first.leases)
    assert await first.try_acquire("report", 10)

    clock.advance(8)
    assert await first.try_acquire("report", 10)
    clock.advance(8)  # 16 s after the first lease, 8 s into the renewed one

    assert not await second.try_acquire("report", 10)


async def test_leases_on_different_names_are_independent() -> None:
    clock = FakeClock()
    first = LocalTaskLock(clock=clock)
    second = LocalTaskLock(clock=clock, leases=first.leases)

    assert await first.try_acquire("report", 10)
    assert await second.try_acquire("cleanup", 10)


async def test_separate_locks_share_nothing() -> None:
    clock = FakeClock()
    assert await LocalTaskLock(clock=clock).try_acquire("report", 10)
    assert await LocalTaskLock(clock=clock).try_acquire("report", 10)


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_ttl_must_be_positive_and_finite(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await LocalTaskLock().try_acquire("report", ttl)


async def test_closed_lock_refuses_to_serve() -> None:
    lock = LocalTaskLock()
    await lock.initialize()
    await lock.ping()

    await lock.close()
    await lock.close()  # closing twice is harmless

    with pytest.raises(RuntimeError, match="closed"):
        await lock.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await lock.try_acquire("report", 10)


async def test_closing_leaves_the_lease_to_expire() -> None:
    clock = FakeClock()
    first = LocalTaskLock(clock=clock)
    second = LocalTaskLock(clock=clock, leases=first.leases)
    assert await first.try_acquire("report", 10)

    await first.close()

    assert not await second.try_acquire("report", 10)  # a successor would run too soon
    clock.advance(10.1)
    assert await second.try_acquire("report", 10)


@pytest.mark.parametrize("lock_url", [None, ""])
def test_factory_builds_the_local_lock_when_no_url_is_set(lock_url: str | None) -> None:
    assert isinstance(create_task_lock(lock_url), LocalTaskLock)


@pytest.mark.parametrize(
    ("lock_url", "lock_type"),
    [
        ("redis://:hunter2@localhost:6379/0", RedisTaskLock),
        ("rediss://cache.example:6380", RedisTaskLock),
        ("postgresql://app:hunter2@db/app", PostgresTaskLock),
        ("postgres://db/app", PostgresTaskLock),
    ],
)
def test_factory_picks_the_server_lock_by_scheme(lock_url: str, lock_type: type) -> None:
    assert isinstance(create_task_lock(lock_url), lock_type)  # built, not yet connected


async def test_postgres_lock_outage_is_reported_by_the_circuit_breaker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Many skipped runs during an outage make one warning that says what happens meanwhile."""
    clock = FakeClock()
    lock = PostgresTaskLock("postgresql://app:hunter2@127.0.0.1:1/app", clock=clock)

    with caplog.at_level(logging.INFO, logger="providers.background.locks.postgres"):
        for _ in range(5):
            assert not await lock.try_acquire("report", 1.0)
            clock.advance(2.0)  # past retry_after: every call tries the server again

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "PostgreSQL task lock is unreachable" in messages[0]
    assert "exclusive tasks are skipped" in messages[0]
    assert "hunter2" not in messages[0]
