"""RedisTaskLock on a real server: the lease contract of `TaskLock`, kept across instances.

Each `RedisTaskLock` is one holder, as one application instance would be; expiry is Redis's.
"""

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from providers.background import BackgroundService
from providers.background.locks import TaskLock
from providers.background.locks.redis import RedisTaskLock
from tests.helpers import AsyncTestHelper
from tests.servers import RedisServerProcess

pytestmark = pytest.mark.redis

MakeLock = Callable[..., RedisTaskLock]


@pytest.fixture
async def make_lock(redis_url: str, redis_namespace: str) -> AsyncIterator[MakeLock]:
    """Builds initialized holders on the test's namespace and closes them after."""
    made: list[RedisTaskLock] = []

    def make(url: str = redis_url, **options: Any) -> RedisTaskLock:
        options.setdefault("namespace", redis_namespace)
        lock = RedisTaskLock(url, **options)
        made.append(lock)
        return lock

    yield make
    for lock in made:
        await lock.close()


async def _eventually_acquires(lock: RedisTaskLock, name: str, ttl: float) -> bool:
    """Try for up to about 5 s, as an instance would at each due run."""
    for _ in range(250):
        if await lock.try_acquire(name, ttl):
            return True
        await asyncio.sleep(0.02)
    return False


async def test_holder_takes_and_renews_its_lease(
    make_lock: MakeLock, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    lock: TaskLock = make_lock()
    await lock.initialize()

    assert await lock.try_acquire("report", 10)
    assert await lock.try_acquire("report", 30)  # renewing is not blocked by one's own lease

    assert 29_000 < await redis_client.pttl(f"{redis_namespace}:report") <= 30_000


async def test_another_holder_waits_for_the_lease_to_expire(make_lock: MakeLock) -> None:
    first, second = make_lock(), make_lock()
    assert await first.try_acquire("report", 0.3)
    assert not await second.try_acquire("report", 10)

    assert await _eventually_acquires(second, "report", 10)  # Redis dropped the first lease

    assert not await first.try_acquire("report", 10)


async def test_renewal_extends_the_lease(
    make_lock: MakeLock, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    first, second = make_lock(), make_lock()
    assert await first.try_acquire("report", 0.3)

    assert await first.try_acquire("report", 10)

    assert 9_000 < await redis_client.pttl(f"{redis_namespace}:report") <= 10_000
    assert not await second.try_acquire("report", 10)


async def test_leases_on_different_names_are_independent(make_lock: MakeLock) -> None:
    first, second = make_lock(), make_lock()

    assert await first.try_acquire("report", 10)
    assert await second.try_acquire("cleanup", 10)


async def test_namespaces_keep_clusters_apart(make_lock: MakeLock, redis_namespace: str) -> None:
    here, elsewhere = make_lock(), make_lock(namespace=f"{redis_namespace}-other")

    assert await here.try_acquire("report", 10)
    assert await elsewhere.try_acquire("report", 10)


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_ttl_must_be_positive_and_finite(make_lock: MakeLock, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive finite number"):
        await make_lock().try_acquire("report", ttl)


async def test_closed_lock_refuses_to_serve(make_lock: MakeLock) -> None:
    lock = make_lock()
    await lock.initialize()
    await lock.ping()

    await lock.close()
    await lock.close()  # closing twice is harmless

    with pytest.raises(RuntimeError, match="closed"):
        await lock.ping()
    with pytest.raises(RuntimeError, match="closed"):
        await lock.try_acquire("report", 10)


async def test_closing_leaves_the_lease_to_expire(make_lock: MakeLock) -> None:
    first, second = make_lock(), make_lock()
    assert await first.try_acquire("report", 10)

    await first.close()

    assert not await second.try_acquire("report", 10)


async def test_an_exclusive_task_runs_once_per_interval_across_three_schedulers(
    make_lock: MakeLock,
) -> None:
    runs = 0

    async def report() -> None:
        nonlocal runs
        runs += 1

    schedulers = [BackgroundService(lock=make_lock()) for _ in range(3)]
    for scheduler in schedulers:
        scheduler.add_task("report", report, interval=0.1, exclusive=True)
        await scheduler.start()
    assert await AsyncTestHelper.wait_for_condition(lambda: runs >= 6, timeout=30)
    for scheduler in schedulers:
        await scheduler.close()

    # At each due time the lease holder runs and the two others skip: without the lock
    # nobody would skip. Counted over runs, not seconds, so a slow machine agrees.
    stats = [scheduler.get_stats()["task_stats"]["report"] for scheduler in schedulers]
    assert sum(task["runs"] for task in stats) == runs
    assert sum(task["skipped"] for task in stats) >= runs


# --- Outages -------------------------------------------------------------------------------


async def test_initialize_fails_when_redis_does_not_answer(
    make_lock: MakeLock, spare_redis: RedisServerProcess
) -> None:
    await spare_redis.stop()
    lock = make_lock(spare_redis.url, socket_timeout=0.2)

    with pytest.raises(RedisError):
        await lock.initialize()


async def test_an_outage_skips_tasks_and_warns_once_then_recovers(
    make_lock: MakeLock, spare_redis: RedisServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    lock = make_lock(spare_redis.url, socket_timeout=0.2, retry_after=0.2)
    await lock.initialize()
    assert await lock.try_acquire("report", 10)

    await spare_redis.stop()

    async with asyncio.timeout(5):  # each call fails or skips at once: no timeouts to sit out
        for _ in range(30):
            assert not await lock.try_acquire("report", 10)  # skipped, never run everywhere
    with pytest.raises(RedisError):
        await lock.ping()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Redis task lock is unreachable" in warnings[0].getMessage()
    assert "exclusive tasks are skipped" in warnings[0].getMessage()

    await spare_redis.start()  # empty: the old lease is gone with the old server

    assert await _eventually_acquires(lock, "report", 10)
    await lock.ping()
