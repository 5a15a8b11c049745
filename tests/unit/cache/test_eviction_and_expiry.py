"""CacheService on the memory store: LRU eviction and expiry on an injected clock."""

import math
from typing import Any

import pytest

from app.testing import FakeClock
from providers.cache import CacheService


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

    assert list(cache.cache or ()) == ["a", "c", "d"]
    assert cache.get_stats()["evictions"] == 0
    assert cache.get_stats()["expirations"] == 1


async def unused_factory() -> str:
    return "v"


@pytest.mark.parametrize("ttl", [0, -1, -0.5, math.nan, -math.inf])
async def test_bad_ttl_is_a_value_error_naming_it(make_cache: Any, ttl: float) -> None:
    cache = await make_cache()

    with pytest.raises(ValueError, match=rf"ttl must be a positive .*got {ttl!r}"):
        await cache.set("k", "v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl must be a positive"):
        await cache.get_or_set("k", unused_factory, ttl=ttl)
    assert len(cache.cache) == 0


@pytest.mark.parametrize("ttl", [0, -3, math.nan])
def test_bad_default_ttl_fails_at_construction(ttl: float) -> None:
    with pytest.raises(ValueError, match=rf"got {ttl!r}"):
        CacheService(default_ttl=ttl)


@pytest.mark.parametrize("max_size", [0, -1, 2.5, True])
def test_bad_max_size_fails_at_construction(max_size: Any) -> None:
    with pytest.raises(ValueError, match=rf"max_size must be a positive integer, got {max_size!r}"):
        CacheService(max_size=max_size)
