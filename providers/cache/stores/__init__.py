"""Cache stores: where `CacheService` keeps its entries (in memory, or Redis when scaled out)."""

from typing import Literal

from providers.cache.stores.base import MISSING, CacheStore
from providers.cache.stores.memory import MemoryStore


def create_cache_store(
    backend: Literal["memory", "redis"], *, url: str | None, namespace: str, max_size: int
) -> CacheStore:
    """The store the settings name, built without I/O (`CacheService.initialize()` pings it)."""
    if backend == "memory" or url is None:  # the settings require a url for "redis"
        return MemoryStore(max_size)
    # Imported here: a memory-only application never loads the Redis client.
    from providers.cache.stores.redis import RedisStore  # noqa: PLC0415

    return RedisStore(url, namespace=namespace)


__all__ = ["MISSING", "CacheStore", "MemoryStore", "create_cache_store"]
