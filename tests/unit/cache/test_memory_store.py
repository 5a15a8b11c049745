"""MemoryStore on its own: expiry bookkeeping and the bounded purge.

What every store does is tested once, for all of them, in
`tests/integration/test_cache_contract.py`.
"""

from app.testing import FakeClock
from providers.cache.stores import MISSING, CacheStore, MemoryStore


def test_it_satisfies_the_store_interface(clock: FakeClock) -> None:
    store: CacheStore = MemoryStore(clock=clock)  # checked by mypy where it matters

    assert store.backend == "memory"


async def test_an_entry_expires_exactly_at_its_ttl(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    await store.set("short", 1, ttl=1)
    clock.advance(0.5)
    assert await store.get("short") == 1

    clock.advance(0.5)

    assert await store.get("short") is MISSING


async def test_stats_count_evictions_and_expirations_apart(clock: FakeClock) -> None:
    store = MemoryStore(max_size=2, clock=clock)
    await store.set("a", 1, ttl=1)
    await store.set("b", 2, ttl=10)
    await store.set("c", 3, ttl=10)  # full, nothing expired: "a" is evicted
    clock.advance(20)
    await store.get("b")  # expired: dropped on read

    assert store.stats() == {"entries": 1, "evictions": 1, "expirations": 1}


async def test_insert_drops_expired_lru_entries_a_few_at_a_time(clock: FakeClock) -> None:
    """Bounded work: one insert looks at no more than the eight least recently used entries."""
    store = MemoryStore(max_size=1_000, clock=clock)
    for i in range(20):
        await store.set(f"old{i}", i, ttl=1)
    clock.advance(2)

    await store.set("new0", 0, ttl=100)
    assert len(store.entries) == 20 - 8 + 1
    await store.set("new1", 1, ttl=100)
    await store.set("new2", 2, ttl=100)
    assert len(store.entries) == 3
    assert list(store.entries) == ["new0", "new1", "new2"]


async def test_no_scan_until_something_can_have_expired(clock: FakeClock) -> None:
    store = MemoryStore(max_size=1_000, clock=clock)
    await store.set("a", 1, ttl=10)
    clock.advance(9)
    await store.set("b", 2, ttl=10)

    assert store.stats()["expirations"] == 0
    assert list(store.entries) == ["a", "b"]


async def test_a_shorter_ttl_after_a_longer_one_still_triggers_the_scan(clock: FakeClock) -> None:
    """The scan bound follows the earliest expiry, not the first or the last one stored."""
    store = MemoryStore(max_size=1_000, clock=clock)
    await store.set("long", 1, ttl=100)
    await store.set("short", 2, ttl=1)
    clock.advance(2)

    await store.set("new", 3, ttl=100)

    assert list(store.entries) == ["long", "new"]
    assert store.stats()["expirations"] == 1


async def test_clear_keeps_the_counters(clock: FakeClock) -> None:
    store = MemoryStore(max_size=1, clock=clock)
    await store.set("a", 1, ttl=10)
    await store.set("b", 2, ttl=10)

    await store.clear()

    assert store.stats()["entries"] == 0
    assert store.stats()["evictions"] == 1
