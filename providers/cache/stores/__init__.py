"""Cache stores: where `CacheService` keeps its entries (in memory, or Redis when scaled out)."""

from typing import Literal

from providers.cache.stores.base import MISSING, CacheStore
from providers.cache.stores.memory import MemoryStore


def create_cache_store(
    backend: Literal["memory", "redis"], *, url: str | None, namespace: str, max_size: int
) -> CacheStore:
    """The store the settings name (they require a `url` for Redis), built without I/O. The
    Redis client is imported only when used."""
    if backend == "memory" or url is None:
        return MemoryStore(max_size)
    from providers.cache.stores.redis import RedisStore  # noqa: PLC0415

    return RedisStore(url, namespace=namespace)


__all__ = ["MISSING", "CacheStore", "MemoryStore", "create_cache_store"]
