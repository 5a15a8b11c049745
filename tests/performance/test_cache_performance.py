"""The cache under concurrent operations, and memory: the cache frees and bounds what it holds.

The load case checks results and evictions, not wall-clock time (no timing assertions).
"""

import asyncio
import gc
import weakref

import psutil

from app.testing import FakeClock
from providers.cache import CacheService

MIB = 1024 * 1024


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def test_cache_concurrent_operations(cache_service: CacheService) -> None:
    async def cache_operation_task(key: str) -> str | None:
        await cache_service.set(key, f"value_{key}")
        value: str | None = await cache_service.get(key)
        return value

    results = await asyncio.gather(*(cache_operation_task(f"key_{i}") for i in range(100)))

    assert len(results) == 100
    assert results == [f"value_key_{i}" for i in range(100)]
    assert cache_service.get_stats()["evictions"] == 90  # max_size is 10


class _Value:
    """A cached value that can be watched through a weak reference."""


async def test_closed_caches_let_go_of_every_value() -> None:
    """Ten services, used, closed and collected, keep none of the values they held."""
    services = []
    watched: list[weakref.ref[_Value]] = []
    for i in range(10):
        service = CacheService()
        await service.initialize()
        for j in range(100):
            value = _Value()
            watched.append(weakref.ref(value))
            await service.set(f"key_{i}_{j}", value)
        services.append(service)
    del value
    gc.collect()
    assert all(ref() is not None for ref in watched), "the open caches hold every value"

    for service in services:
        await service.close()
    gc.collect()

    assert all(service.get_stats()["entries"] == 0 for service in services)
    assert [ref for ref in watched if ref() is not None] == []


async def test_memory_stays_bounded_by_max_size() -> None:
    """200 MiB of values through a 1,000-entry cache must not keep more than a sliver."""
    service = CacheService(max_size=1_000)
    await service.initialize()
    initial_memory = _rss()

    for i in range(200_000):
        await service.set(f"key_{i}", bytes(1024) + i.to_bytes(4))

    assert service.get_stats()["entries"] == 1_000
    assert _rss() - initial_memory < 50 * MIB
    await service.close()


async def test_memory_stays_bounded_when_entries_expire_unread() -> None:
    """A cache far from full still lets go of expired values that nobody reads again."""
    clock = FakeClock()
    service = CacheService(max_size=1_000_000, default_ttl=1, clock=clock)
    await service.initialize()
    initial_memory = _rss()

    for i in range(200_000):
        await service.set(f"key_{i}", bytes(1024) + i.to_bytes(4))
        clock.advance(0.01)  # each value expires 100 inserts after it was set

    assert service.get_stats()["entries"] <= 110
    assert _rss() - initial_memory < 50 * MIB
    await service.close()
