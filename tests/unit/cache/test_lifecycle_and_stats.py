"""CacheService's lifecycle, counters and stats, on the memory store and on a remote store."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from providers.cache import CacheService
from providers.cache.stores import MISSING


def _returning(value: Any) -> Callable[[], Awaitable[Any]]:
    async def factory() -> Any:
        return value

    return factory


T = TypeVar("T")

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


async def test_cache_view_is_read_only_and_does_not_count(cache_service: CacheService) -> None:
    await cache_service.set("k", "v")
    view: Any = cache_service.cache

    assert list(view) == ["k"]
    assert view["k"][0] == "v"
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


# --- A store that is not in this process ---------------------------------------------------


class FakeRemoteStore:
    """A `CacheStore` whose every call goes through an await, as a server's would."""

    backend = "fake-remote"

    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, float]] = {}
        self.closed = False

    async def get(self, key: str) -> Any:
        await asyncio.sleep(0)
        return self.values[key][0] if key in self.values else MISSING

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await asyncio.sleep(0)
        self.values[key] = (value, ttl)

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        value = await factory()
        await self.set(key, value, ttl)
        return value

    async def delete(self, key: str) -> bool:
        return self.values.pop(key, None) is not None

    async def clear(self) -> None:
        self.values.clear()

    async def ping(self) -> None:
        if self.closed:
            raise ConnectionError("fake store is closed")

    async def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, int | None]:
        return {"entries": None, "evictions": 0, "expirations": 0}


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
    assert await service.get_or_set("new", _returning("made")) == "made"
    assert store.values["new"] == ("made", 30)
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
