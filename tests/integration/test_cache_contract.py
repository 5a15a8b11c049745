"""One contract, every store: the same test bodies run on the memory store and on Redis.

`StoreContract` is what `CacheService` relies on from a store; `CacheContract` is what a user
of `CacheService` relies on, whichever store the settings choose. Each `Test...` class below
gives a store and a way to let time pass (the fake clock for memory, real time for Redis,
which expires entries itself); what only one store does stays in its own module
(`tests/unit/cache/test_memory_store.py`, `test_redis_store.py`, ...).
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from app.testing import FakeClock
from providers.cache import CacheService
from providers.cache.stores import MISSING, CacheStore, MemoryStore
from providers.cache.stores.redis import RedisStore

LetTimePass = Callable[[float], Awaitable[None]]


class StoreContract:
    """What every `CacheStore` does; a subclass provides `store` and `let_time_pass`."""

    async def test_a_miss_is_missing_and_a_stored_none_is_a_value(self, store: CacheStore) -> None:
        await store.set("none", None, ttl=60)

        assert await store.get("absent") is MISSING
        assert await store.get("none") is None

    async def test_delete_reports_whether_the_entry_was_there(self, store: CacheStore) -> None:
        await store.set("k", "v", ttl=60)

        assert await store.delete("k") is True
        assert await store.delete("k") is False
        assert await store.get("k") is MISSING

    async def test_an_entry_expires_on_its_own(
        self, store: CacheStore, let_time_pass: LetTimePass
    ) -> None:
        await store.set("k", "v", ttl=0.1)
        assert await store.get("k") == "v"

        await let_time_pass(0.2)

        assert await store.get("k") is MISSING

    async def test_setting_again_replaces_value_and_ttl(
        self, store: CacheStore, let_time_pass: LetTimePass
    ) -> None:
        await store.set("k", 1, ttl=60)
        await store.set("k", 2, ttl=0.1)

        assert await store.get("k") == 2
        await let_time_pass(0.2)
        assert await store.get("k") is MISSING

    async def test_clear_removes_every_entry(self, store: CacheStore) -> None:
        for i in range(20):
            await store.set(f"k{i}", i, ttl=60)

        await store.clear()

        assert [await store.get(f"k{i}") for i in range(20)] == [MISSING] * 20

    async def test_ping_answers_until_closed(self, store: CacheStore) -> None:
        await store.ping()

        await store.close()

        with pytest.raises(RuntimeError, match="closed"):
            await store.ping()


class CacheContract:
    """`CacheService`'s cases; a subclass provides `cache_service` (ten entries, default TTL
    one second) and `let_time_pass`."""

    async def test_cache_initialization(self, cache_service: CacheService) -> None:
        assert cache_service.is_initialized
        assert cache_service.hit_count == 0
        assert cache_service.miss_count == 0

    async def test_cache_set_get(self, cache_service: CacheService) -> None:
        await cache_service.set("test_key", "test_value")

        assert await cache_service.get("test_key") == "test_value"
        assert cache_service.hit_count == 1
        assert cache_service.miss_count == 0

    async def test_cache_miss(self, cache_service: CacheService) -> None:
        assert await cache_service.get("nonexistent_key") is None
        assert cache_service.miss_count == 1
        assert cache_service.hit_count == 0

    async def test_cache_ttl_expiration(
        self, cache_service: CacheService, let_time_pass: LetTimePass
    ) -> None:
        await cache_service.set("expiring_key", "expiring_value", ttl=0.1)
        assert await cache_service.get("expiring_key") == "expiring_value"

        await let_time_pass(0.2)

        assert await cache_service.get("expiring_key") is None
        assert cache_service.miss_count == 1

    async def test_cache_delete(self, cache_service: CacheService) -> None:
        await cache_service.set("delete_key", "delete_value")
        assert await cache_service.get("delete_key") == "delete_value"

        assert await cache_service.delete("delete_key") is True
        assert await cache_service.get("delete_key") is None
        assert await cache_service.delete("nonexistent") is False

    async def test_cache_clear(self, cache_service: CacheService) -> None:
        await cache_service.set("key1", "value1")
        await cache_service.set("key2", "value2")

        await cache_service.clear()

        assert await cache_service.get("key1") is None
        assert await cache_service.get("key2") is None

    async def test_cache_stats(self, cache_service: CacheService) -> None:
        await cache_service.set("key1", "value1")
        await cache_service.get("key1")  # hit
        await cache_service.get("key2")  # miss

        stats = cache_service.get_stats()

        assert stats["status"] == "initialized"
        assert stats["hit_count"] == 1
        assert stats["miss_count"] == 1
        assert stats["hit_rate"] == "50.0%"

    @pytest.mark.parametrize("value", [0, 0.0, "", False, [], {}, None], ids=repr)
    async def test_falsy_values_are_hits(self, cache_service: CacheService, value: Any) -> None:
        await cache_service.set("k", value)

        assert await cache_service.get("k") == value
        assert (cache_service.hit_count, cache_service.miss_count) == (1, 0)

    async def test_a_cached_none_is_not_a_missing_entry(self, cache_service: CacheService) -> None:
        marker = object()
        await cache_service.set("k", None)
        calls: list[str] = []

        async def factory() -> str:
            calls.append("called")
            return "fresh"

        assert await cache_service.get("k", marker) is None
        assert await cache_service.get("absent", marker) is marker
        assert await cache_service.get_or_set("k", factory) is None
        assert calls == []


# --- The memory store: expiry follows a fake clock ------------------------------------------


@pytest.fixture
def advance_the_clock(clock: FakeClock) -> LetTimePass:
    async def let_time_pass(seconds: float) -> None:
        clock.advance(seconds)

    return let_time_pass


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self, clock: FakeClock) -> MemoryStore:
        return MemoryStore(clock=clock)

    @pytest.fixture
    def let_time_pass(self, advance_the_clock: LetTimePass) -> LetTimePass:
        return advance_the_clock


class TestCacheOnMemory(CacheContract):
    @pytest.fixture
    async def cache_service(self, clock: FakeClock) -> AsyncIterator[CacheService]:
        service = CacheService(max_size=10, default_ttl=1, clock=clock)
        await service.initialize()
        yield service
        await service.close()

    @pytest.fixture
    def let_time_pass(self, advance_the_clock: LetTimePass) -> LetTimePass:
        return advance_the_clock

    async def test_cache_lru_eviction(self, cache_service: CacheService) -> None:
        assert cache_service.cache is not None
        for i in range(10):
            await cache_service.set(f"key_{i}", f"value_{i}")
        assert len(cache_service.cache) == 10

        await cache_service.set("key_10", "value_10")

        assert len(cache_service.cache) == 10
        assert await cache_service.get("key_0") is None
        assert await cache_service.get("key_10") == "value_10"

    async def test_entries_live_in_this_process(self, cache_service: CacheService) -> None:
        assert cache_service.cache is not None
        assert len(cache_service.cache) == 0
        await cache_service.set("key1", "value1")
        await cache_service.set("key2", "value2")
        assert len(cache_service.cache) == 2
        assert cache_service.get_stats()["entries"] == 2

        await cache_service.clear()

        assert len(cache_service.cache) == 0


# --- Redis: expiry is the server's own, in real time ----------------------------------------


async def let_real_time_pass(seconds: float) -> None:
    await asyncio.sleep(seconds)


@pytest.mark.redis
class TestRedisStore(StoreContract):
    @pytest.fixture
    async def store(self, redis_url: str, redis_namespace: str) -> AsyncIterator[RedisStore]:
        store = RedisStore(redis_url, namespace=redis_namespace)
        yield store
        await store.close()

    @pytest.fixture
    def let_time_pass(self) -> LetTimePass:
        return let_real_time_pass


@pytest.mark.redis
class TestCacheOnRedis(CacheContract):
    @pytest.fixture
    async def cache_service(
        self, redis_url: str, redis_namespace: str
    ) -> AsyncIterator[CacheService]:
        service = CacheService(
            default_ttl=1, store=RedisStore(redis_url, namespace=redis_namespace)
        )
        await service.initialize()
        yield service
        await service.close()

    @pytest.fixture
    def let_time_pass(self) -> LetTimePass:
        return let_real_time_pass

    async def test_entries_live_only_in_redis(self, cache_service: CacheService) -> None:
        await cache_service.set("key1", "value1")

        stats = cache_service.get_stats()

        assert cache_service.cache is None
        assert stats["backend"] == "redis"
        assert stats["entries"] is None  # only Redis knows, and stats never do I/O
        assert stats["errors"] == 0
