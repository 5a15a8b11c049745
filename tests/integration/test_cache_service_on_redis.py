"""CacheService over RedisStore: JSON values, and single-flight across processes.

The cache's common cases run on every store in `test_cache_contract.py`.

Two `CacheService` objects on one namespace stand for two processes: each has its own
in-process single-flight, so only the lease in Redis can keep them from both filling a key.
LRU eviction at `max_size` does not apply: Redis evicts by its own `maxmemory` policy.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from providers.cache import CacheService
from providers.cache.stores.redis import RedisStore
from tests.helpers import AsyncTestHelper, GatedFactory
from tests.servers import RedisServerProcess

pytestmark = pytest.mark.redis

MakeCache = Callable[..., Awaitable[CacheService]]


@pytest.fixture
async def make_cache(redis_url: str, redis_namespace: str) -> AsyncIterator[MakeCache]:
    """Builds initialized caches on Redis (the test's namespace by default); closes them after."""
    made: list[CacheService] = []

    async def make(
        default_ttl: float = 60, url: str = redis_url, **store_options: Any
    ) -> CacheService:
        store_options.setdefault("namespace", redis_namespace)
        service = CacheService(default_ttl=default_ttl, store=RedisStore(url, **store_options))
        await service.initialize()
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


@pytest.fixture
async def cache_service(make_cache: MakeCache) -> CacheService:
    """A cache with a one-second default TTL, on Redis."""
    return await make_cache(default_ttl=1)


async def _returning_value() -> str:
    return "value"


async def _wait_until(condition: Callable[[], bool]) -> None:
    assert await AsyncTestHelper.wait_for_condition(condition, timeout=5, interval=0.005)


# --- Values make the JSON round trip -------------------------------------------------------


async def test_an_unserialisable_value_is_refused_and_releases_the_fill_lease(
    make_cache: MakeCache,
) -> None:
    cache = await make_cache(fill_lease=30)

    with pytest.raises(TypeError, match=r"cannot cache 'k'.*type object is not JSON serializable"):
        await cache.set("k", object())

    async def unserialisable() -> object:
        return object()

    with pytest.raises(TypeError, match=r"cannot cache 'k'"):
        await cache.get_or_set("k", unserialisable)
    async with asyncio.timeout(2):  # far less than the lease: the failed fill released it
        assert await cache.get_or_set("k", _returning_value) == "value"


# --- A shared cache --------------------------------------------------------------------------


async def test_two_processes_share_entries(make_cache: MakeCache) -> None:
    first, second = await make_cache(), await make_cache()

    await first.set("k", {"from": "first"})
    assert await second.get("k") == {"from": "first"}
    assert await second.delete("k") is True
    assert await first.get("k") is None


async def test_clear_keeps_keys_outside_the_namespace(
    make_cache: MakeCache, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    mine = await make_cache()
    theirs = await make_cache(namespace=f"{redis_namespace}-theirs")
    await mine.set("k", "mine")
    await theirs.set("k", "theirs")
    await redis_client.set(f"{redis_namespace}-raw", "outside every namespace")

    await mine.clear()

    assert await mine.get("k") is None
    assert await theirs.get("k") == "theirs"
    assert await redis_client.get(f"{redis_namespace}-raw") == b"outside every namespace"


async def test_get_or_set_runs_the_factory_once_across_processes(
    make_cache: MakeCache, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    first, second = await make_cache(), await make_cache()
    factory = GatedFactory(value={"rows": [1, 2]})
    leader = asyncio.create_task(first.get_or_set("k", factory))
    await _wait_until(lambda: factory.calls == 1)
    leases = [name async for name in redis_client.scan_iter(match=f"{redis_namespace}:*fill*")]
    assert len(leases) == 1  # the lease lives in the namespace too
    callers = [
        asyncio.create_task(cache.get_or_set("k", factory))
        for cache in (first, second)
        for _ in range(10)
    ]
    await _wait_until(lambda: second.miss_count == 10)  # the second process is polling now

    factory.gate.set()
    results = await asyncio.gather(leader, *callers)

    assert results == [{"rows": [1, 2]}] * 21
    assert factory.calls == 1
    assert await redis_client.exists(*leases) == 0  # released once the value was stored
    assert (second.hit_count, second.miss_count) == (0, 10)


async def test_when_the_filling_process_stalls_another_fills_after_its_lease(
    make_cache: MakeCache,
) -> None:
    first, second = await make_cache(fill_lease=0.3), await make_cache(fill_lease=0.3)
    stalled = GatedFactory(value="late")
    leader = asyncio.create_task(first.get_or_set("k", stalled))
    await _wait_until(lambda: stalled.calls == 1)

    started = time.monotonic()
    assert await second.get_or_set("k", _returning_value) == "value"

    assert time.monotonic() - started < 3  # bounded by the lease, not by the stalled factory
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_when_the_filling_process_fails_another_fills(make_cache: MakeCache) -> None:
    first, second = await make_cache(), await make_cache()
    failing = GatedFactory(error=LookupError("database down"))
    leader = asyncio.create_task(first.get_or_set("k", failing))
    await _wait_until(lambda: failing.calls == 1)
    follower = asyncio.create_task(second.get_or_set("k", _returning_value))
    await asyncio.sleep(0.05)

    failing.gate.set()

    with pytest.raises(LookupError, match="database down"):
        await leader
    async with asyncio.timeout(2):  # the failed leader released its lease: no waiting it out
        assert await follower == "value"
    assert await first.get("k") == "value"


# --- Redis down: requests keep working from the source ------------------------------------


async def test_with_redis_down_the_cache_serves_misses_and_readiness_fails(
    make_cache: MakeCache, spare_redis: RedisServerProcess
) -> None:
    cache = await make_cache(url=spare_redis.url, socket_timeout=0.2, retry_after=0.2)
    await cache.set("k", "cached")

    await spare_redis.stop()

    assert await cache.get("k") is None
    await cache.set("k", "ignored")  # skipped, no exception
    assert await cache.get_or_set("k", _returning_value) == "value"  # straight from the source
    with pytest.raises(RedisError):
        await cache.ping()
    assert cache.get_stats()["errors"] >= 3

    await spare_redis.start()

    async with asyncio.timeout(5):
        while await cache.get("k") != "again":
            await cache.set("k", "again")
            await asyncio.sleep(0.05)
    await cache.ping()
