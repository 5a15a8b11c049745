"""CacheService on the memory store: LRU, TTL, single-flight, lifecycle and stats.

The guide's cache cases run on every store in `tests/integration/test_cache_contract.py`.
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.testing import FakeClock
from providers.cache import CacheService
from providers.cache.stores import StoreStats


@pytest.fixture
async def make_cache(clock: FakeClock) -> Any:
    """Builds initialized caches on the fake clock and closes them after the test."""
    made: list[CacheService] = []

    async def make(max_size: int = 10, default_ttl: float = 60.0) -> CacheService:
        service = CacheService(max_size=max_size, default_ttl=default_ttl, clock=clock)
        await service.initialize()
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


# --- LRU ------------------------------------------------------------------------------------


async def test_read_refreshes_recency(make_cache: Any) -> None:
    cache = await make_cache(max_size=3)
    for key in ("a", "b", "c"):
        await cache.set(key, key)

    assert await cache.get("a") == "a"  # "a" is now the most recently used
    await cache.set("d", "d")

    assert await cache.get("b") is None  # the least recently used went instead
    assert [await cache.get(key) for key in ("a", "c", "d")] == ["a", "c", "d"]


async def test_overwrite_refreshes_recency_without_evicting(make_cache: Any) -> None:
    cache = await make_cache(max_size=2)
    await cache.set("a", 1)
    await cache.set("b", 2)

    await cache.set("a", 10)  # replaces, so nothing is evicted; "b" becomes the oldest
    assert cache.get_stats()["evictions"] == 0
    await cache.set("c", 3)

    assert await cache.get("a") == 10
    assert await cache.get("b") is None
    assert cache.get_stats()["evictions"] == 1


async def test_evictions_are_counted(make_cache: Any) -> None:
    cache = await make_cache(max_size=5)
    for i in range(12):
        await cache.set(f"k{i}", i)

    stats = cache.get_stats()
    assert stats["evictions"] == 7
    assert stats["entries"] == 5
    assert stats["expirations"] == 0


# --- TTL on the injected clock -----------------------------------------------------------


async def test_default_ttl_expires_on_the_clock(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=10)
    await cache.set("k", "v")

    clock.advance(9.999)
    assert await cache.get("k") == "v"
    clock.advance(0.001)  # exactly `default_ttl` after the set: expired
    assert await cache.get("k") is None
    assert (cache.hit_count, cache.miss_count) == (1, 1)


async def test_per_key_ttl_overrides_the_default(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=10)
    await cache.set("short", 1, ttl=0.1)
    await cache.set("long", 2, ttl=100)

    clock.advance(0.1)
    assert await cache.get("short") is None
    clock.advance(50)
    assert await cache.get("long") == 2


async def test_infinite_ttl_never_expires(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache()
    await cache.set("k", "v", ttl=math.inf)

    clock.advance(1e12)

    assert await cache.get("k") == "v"


async def test_setting_again_restarts_the_ttl(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=10)
    await cache.set("k", 1)
    clock.advance(8)
    await cache.set("k", 2)
    clock.advance(8)

    assert await cache.get("k") == 2


async def test_expired_entry_is_dropped_when_read(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=1)
    await cache.set("k", "v")
    clock.advance(1)

    assert len(cache.cache) == 1  # still held until something looks at it
    assert await cache.get("k") is None
    assert len(cache.cache) == 0
    assert cache.get_stats()["expirations"] == 1


async def test_deleting_an_expired_entry_reports_absent(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=1)
    await cache.set("k", "v")
    clock.advance(2)

    assert await cache.delete("k") is False
    assert len(cache.cache) == 0


async def test_expired_entries_do_not_pile_up(make_cache: Any, clock: FakeClock) -> None:
    """Far below max_size, entries nobody reads again are still reclaimed by later inserts."""
    cache = await make_cache(max_size=100_000, default_ttl=1)
    for i in range(5_000):
        await cache.set(f"k{i}", i)
        clock.advance(2)  # every earlier entry has expired by the next insert

    assert len(cache.cache) <= 10
    assert cache.get_stats()["expirations"] >= 4_990
    assert cache.get_stats()["evictions"] == 0


async def test_full_cache_drops_expired_before_evicting_live(
    make_cache: Any, clock: FakeClock
) -> None:
    cache = await make_cache(max_size=3, default_ttl=100)
    await cache.set("a", 1)
    await cache.set("b", 2, ttl=1)
    await cache.set("c", 3)
    clock.advance(2)

    await cache.set("d", 4)

    assert dict(cache.cache) == {"a": 1, "c": 3, "d": 4}
    assert cache.get_stats()["evictions"] == 0
    assert cache.get_stats()["expirations"] == 1


@pytest.mark.parametrize("ttl", [0, -1, -0.5, math.nan, -math.inf])
async def test_bad_ttl_is_a_value_error_naming_it(make_cache: Any, ttl: float) -> None:
    cache = await make_cache()

    with pytest.raises(ValueError, match=rf"ttl must be a positive .*got {ttl!r}"):
        await cache.set("k", "v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl must be a positive"):
        await cache.get_or_set("k", _returning("v"), ttl=ttl)
    assert len(cache.cache) == 0


@pytest.mark.parametrize("ttl", [0, -3, math.nan])
def test_bad_default_ttl_fails_at_construction(ttl: float) -> None:
    with pytest.raises(ValueError, match=rf"got {ttl!r}"):
        CacheService(default_ttl=ttl)


@pytest.mark.parametrize("max_size", [0, -1, 2.5, True])
def test_bad_max_size_fails_at_construction(max_size: Any) -> None:
    with pytest.raises(ValueError, match=rf"max_size must be a positive integer, got {max_size!r}"):
        CacheService(max_size=max_size)


# --- Lifecycle -------------------------------------------------------------------------------


OPERATIONS = ["get", "set", "delete", "clear", "get_or_set", "ping"]


def _calls(service: CacheService) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "get": lambda: service.get("k"),
        "set": lambda: service.set("k", "v"),
        "delete": lambda: service.delete("k"),
        "clear": service.clear,
        "get_or_set": lambda: service.get_or_set("k", _returning("v")),
        "ping": service.ping,
    }


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_use_before_initialize_raises(operation: str) -> None:
    service = CacheService()

    with pytest.raises(RuntimeError, match="Cache service not initialized"):
        await _calls(service)[operation]()
    assert service.get_stats()["status"] == "not_initialized"


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_use_after_close_raises(operation: str) -> None:
    service = CacheService()
    await service.initialize()
    await service.set("k", "v")
    await service.close()

    with pytest.raises(RuntimeError, match="Cache service not initialized"):
        await _calls(service)[operation]()
    assert not service.is_initialized
    assert service.get_stats()["status"] == "closed"
    assert service.get_stats()["entries"] == 0  # close frees the entries


async def test_reload_mode_skips_initialization() -> None:
    service = CacheService(reload_mode=True)

    await service.initialize()

    assert not service.is_initialized
    assert service.get_stats()["status"] == "not_initialized"
    with pytest.raises(RuntimeError, match="Cache service not initialized"):
        await service.get("k")
    await service.close()


async def test_ping_answers_once_initialized(cache_service: CacheService) -> None:
    await cache_service.ping()  # returns without raising


async def test_close_is_idempotent_and_final() -> None:
    service = CacheService()
    await service.initialize()
    await service.close()
    await service.close()

    with pytest.raises(RuntimeError, match="closed"):
        await service.initialize()


async def test_get_returns_the_given_default_on_a_miss(cache_service: CacheService) -> None:
    marker = object()

    assert await cache_service.get("absent", marker) is marker
    await cache_service.set("k", None)
    assert await cache_service.get("k", marker) is None
    assert (cache_service.hit_count, cache_service.miss_count) == (1, 1)


async def test_the_class_level_get_works_while_initialized(cache_service: CacheService) -> None:
    """`initialize()` binds the store's `get` for speed; the method itself must agree with it."""
    await cache_service.set("k", "v")

    assert await CacheService.get(cache_service, "k") == "v"
    assert await CacheService.get(cache_service, "absent") is None
    assert (cache_service.hit_count, cache_service.miss_count) == (1, 1)


async def test_cache_view_is_read_only_and_does_not_count(cache_service: CacheService) -> None:
    await cache_service.set("k", "v")
    view: Any = cache_service.cache

    assert view["k"] == "v"
    assert list(view) == ["k"]
    with pytest.raises(TypeError):
        view["k"] = "other"
    assert (cache_service.hit_count, cache_service.miss_count) == (0, 0)


# --- Stats -----------------------------------------------------------------------------------


async def test_stats_before_any_lookup(cache_service: CacheService) -> None:
    stats = cache_service.get_stats()

    assert stats == {
        "status": "initialized",
        "backend": "memory",
        "entries": 0,
        "hit_count": 0,
        "miss_count": 0,
        "hit_rate": "0.0%",
        "evictions": 0,
        "expirations": 0,
        "default_ttl": 1,
    }


async def test_hit_rate_is_a_percentage_with_one_decimal(cache_service: CacheService) -> None:
    await cache_service.set("k", "v")
    for _ in range(5):
        await cache_service.get("k")
    await cache_service.get("absent")

    assert cache_service.get_stats()["hit_rate"] == "83.3%"


async def test_clear_keeps_the_counters(cache_service: CacheService) -> None:
    await cache_service.set("k", "v")
    await cache_service.get("k")
    await cache_service.get("absent")

    await cache_service.clear()

    assert (cache_service.hit_count, cache_service.miss_count) == (1, 1)


# --- get_or_set: single flight ------------------------------------------------------------


def _returning(value: Any) -> Callable[[], Awaitable[Any]]:
    async def factory() -> Any:
        return value

    return factory


class GatedFactory:
    """A factory whose calls wait for `open()`, counting how often it is awaited."""

    def __init__(self, value: Any = "fresh", error: Exception | None = None) -> None:
        self.value = value
        self.error = error
        self.calls = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> Any:
        self.calls += 1
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.value


async def test_get_or_set_fills_once_then_hits(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    factory.gate.set()

    assert await cache.get_or_set("k", factory) == "fresh"
    assert await cache.get_or_set("k", factory) == "fresh"
    assert await cache.get("k") == "fresh"
    assert factory.calls == 1
    assert (cache.hit_count, cache.miss_count) == (2, 1)


async def test_get_or_set_caches_falsy_values(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory(value=0)
    factory.gate.set()

    assert await cache.get_or_set("k", factory) == 0
    assert await cache.get_or_set("k", factory) == 0
    assert factory.calls == 1


async def test_get_or_set_uses_its_ttl(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=100)
    factory = GatedFactory()
    factory.gate.set()

    await cache.get_or_set("k", factory, ttl=0.5)
    clock.advance(0.5)
    await cache.get_or_set("k", factory, ttl=0.5)

    assert factory.calls == 2


async def test_concurrent_callers_share_one_factory_call(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    callers = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(50)]
    await asyncio.sleep(0)  # every caller is now in flight or waiting on it

    factory.gate.set()
    results = await asyncio.gather(*callers)

    assert results == ["fresh"] * 50
    assert factory.calls == 1
    # Documented counting: every call that found nothing cached is a miss, waiters included.
    assert (cache.hit_count, cache.miss_count) == (0, 50)


async def test_factory_error_reaches_every_caller_and_is_not_cached(make_cache: Any) -> None:
    cache = await make_cache()
    failing = GatedFactory(error=LookupError("backend down"))
    callers = [asyncio.create_task(cache.get_or_set("k", failing)) for _ in range(10)]
    await asyncio.sleep(0)

    failing.gate.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)

    assert all(isinstance(outcome, LookupError) for outcome in outcomes)
    assert failing.calls == 1
    assert await cache.get("k") is None

    working = GatedFactory()
    working.gate.set()
    assert await cache.get_or_set("k", working) == "fresh"  # the next call retries
    assert working.calls == 1


async def test_lone_caller_gets_the_factory_error_and_the_next_call_retries(
    make_cache: Any,
) -> None:
    cache = await make_cache()
    failing = GatedFactory(error=LookupError("backend down"))
    failing.gate.set()

    with pytest.raises(LookupError, match="backend down"):
        await cache.get_or_set("k", failing)
    assert await cache.get_or_set("k", _returning("fresh")) == "fresh"


@pytest.mark.parametrize("takeover_suspends", [False, True])
async def test_cancelled_leader_hands_over_to_a_waiter(
    make_cache: Any, takeover_suspends: bool
) -> None:
    cache = await make_cache()
    calls = 0

    async def factory() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.Event().wait()  # the first (leading) call hangs until cancelled
        if takeover_suspends:
            await asyncio.sleep(0)
        return "fresh"

    leader = asyncio.create_task(cache.get_or_set("k", factory))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(5)]
    await asyncio.sleep(0)
    assert calls == 1

    leader.cancel()
    results = await asyncio.wait_for(asyncio.gather(*waiters), timeout=1)

    assert results == ["fresh"] * 5
    assert calls == 2  # exactly one waiter took over
    assert leader.cancelled()
    assert await cache.get("k") == "fresh"


async def test_cancelled_lone_leader_leaves_nothing_behind(make_cache: Any) -> None:
    cache = await make_cache()
    hanging = GatedFactory()
    leader = asyncio.create_task(cache.get_or_set("k", hanging))
    await asyncio.sleep(0)

    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader

    assert await cache.get_or_set("k", _returning("next")) == "next"
    assert hanging.calls == 1


async def test_cancelled_waiter_does_not_affect_the_others(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    leader = asyncio.create_task(cache.get_or_set("k", factory))
    waiters = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(3)]
    await asyncio.sleep(0)

    waiters[0].cancel()
    await asyncio.sleep(0)
    factory.gate.set()
    results = list(await asyncio.gather(leader, waiters[1], waiters[2]))

    assert waiters[0].cancelled()
    assert results == ["fresh"] * 3
    assert factory.calls == 1


async def test_flights_are_per_key(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    callers = [asyncio.create_task(cache.get_or_set(key, factory)) for key in ("a", "b", "a")]
    await asyncio.sleep(0)

    factory.gate.set()

    assert await asyncio.gather(*callers) == ["fresh"] * 3
    assert factory.calls == 2


# --- A store that is not in this process (the shape a Redis store takes) -------------------


class FakeRemoteStore:
    """A `CacheStore` without the local fast path: every call goes through an await."""

    backend = "fake-remote"

    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, float]] = {}
        self.hits = self.misses = 0
        self.closed = False

    async def get(self, key: str, default: Any = None) -> Any:
        await asyncio.sleep(0)
        if key not in self.values:
            self.misses += 1
            return default
        self.hits += 1
        return self.values[key][0]

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await asyncio.sleep(0)
        self.values[key] = (value, ttl)

    async def delete(self, key: str) -> bool:
        return self.values.pop(key, None) is not None

    async def clear(self) -> None:
        self.values.clear()

    async def ping(self) -> None:
        if self.closed:
            raise ConnectionError("fake store is closed")

    async def close(self) -> None:
        self.closed = True

    def stats(self) -> StoreStats:
        return StoreStats(
            entries=None, hits=self.hits, misses=self.misses, evictions=0, expirations=0
        )


async def test_a_remote_store_is_used_through_the_interface() -> None:
    store = FakeRemoteStore()
    service = CacheService(default_ttl=30, store=store)
    await service.initialize()

    await service.set("k", None)
    await service.set("short", 1, ttl=2)

    assert service.cache is None
    assert store.values == {"k": (None, 30), "short": (1, 2)}
    assert await service.get("k") is None
    assert await service.get("absent") is None
    assert (service.hit_count, service.miss_count) == (1, 1)
    assert await service.get_or_set("k", _returning("unused")) is None
    assert await service.delete("k") is True
    stats = service.get_stats()
    assert (stats["backend"], stats["entries"]) == ("fake-remote", None)

    await service.close()
    assert store.closed
    with pytest.raises(RuntimeError, match="Cache service not initialized"):
        await service.get("k")


async def test_initialize_fails_when_the_store_cannot_serve() -> None:
    store = FakeRemoteStore()
    store.closed = True
    service = CacheService(store=store)

    with pytest.raises(ConnectionError):
        await service.initialize()
    assert not service.is_initialized
