"""Cache stores: where `CacheService` keeps its entries (in memory now, Redis when scaled out)."""

import time
from collections.abc import Callable
from typing import Literal

from providers.cache.stores.base import MISSING, CacheStore, SharedFillStore, StoreStats
from providers.cache.stores.memory import MemoryStore


def create_cache_store(
    backend: Literal["memory", "redis"],
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
    if url is None:
        raise ValueError("the Redis cache store needs a url, e.g. redis://localhost:6379/0")
    # Imported here: a memory-only application never loads the Redis client.
    from providers.cache.stores.redis import RedisStore  # noqa: PLC0415

    return RedisStore(url, namespace=namespace, clock=clock)


__all__ = [
    "MISSING",
    "CacheStore",
    "MemoryStore",
    "SharedFillStore",
    "StoreStats",
    "create_cache_store",
]
