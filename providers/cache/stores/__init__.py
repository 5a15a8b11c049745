"""Cache stores: where `CacheService` keeps its entries (in memory now, Redis when scaled out)."""

import time
from collections.abc import Callable

from providers.cache.stores.base import (
    MISSING,
    CacheStore,
    LocalCacheStore,
    SharedFillStore,
    StoreStats,
)
from providers.cache.stores.memory import MemoryStore


def create_cache_store(
    backend: str,
    *,
    url: str | None,
    namespace: str,
    max_size: int,
    clock: Callable[[], float] = time.monotonic,
) -> CacheStore:
    """The store for `backend`: ``"memory"`` (uses `max_size`) or ``"redis"`` (`url`, `namespace`).

    Builds the store without I/O; `CacheService.initialize()` checks that it answers.
    """
    if backend == "memory":
        return MemoryStore(max_size, clock)
    if backend == "redis":
        if not url:
            raise ValueError("the Redis cache store needs a url, e.g. redis://localhost:6379/0")
        # Imported here: a memory-only application never loads the Redis client.
        from providers.cache.stores.redis import RedisStore  # noqa: PLC0415

        return RedisStore(url, namespace=namespace, clock=clock)
    raise ValueError(f"unknown cache backend {backend!r}: expected 'memory' or 'redis'")


__all__ = [
    "MISSING",
    "CacheStore",
    "LocalCacheStore",
    "MemoryStore",
    "SharedFillStore",
    "StoreStats",
    "create_cache_store",
]
