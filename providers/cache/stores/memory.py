"""An in-process LRU store with per-entry expiry: the zero-set-up cache for one machine."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from itertools import islice
from types import MappingProxyType
from typing import Any

from providers.cache.stores.base import StoreStats
from providers.errors import ServiceNotReadyError

_PURGE_SCAN = 8
"""How many least recently used entries an insert checks for expired ones (bounded work)."""


class MemoryStore:
    """True LRU (reads refresh recency) bounded by `max_size`, expiry read from `clock`.

    Lock-free: no method awaits, so asyncio tasks cannot interleave inside one. Work per call is
    bounded: a read drops the expired entry it finds; an insert of a new key, once anything may
    have expired, drops expired entries among the least recently used few before it evicts.
    """

    backend = "memory"

    def __init__(self, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be a positive integer, got {max_size!r}")
        self._max_size = max_size
        self._clock = clock
        # key -> (value, expires_at on `clock`); order is recency, least recently used first.
        self._entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self.entries: Mapping[str, tuple[Any, float]] = MappingProxyType(self._entries)
        """Live read-only key -> (value, expiry) view that neither counts nor refreshes recency."""
        # A lower bound on every stored expiry: until the clock passes it, inserts skip the scan.
        self._earliest_expiry = math.inf
        self._hits = 0
        self._misses = 0
        self._evictions = 0
        self._expirations = 0
        self._closed = False

    async def get(self, key: str, default: Any = None) -> Any:
        """The live value or `default`; an expired entry is dropped here. Counts a hit or a miss."""
        entry = self._entries.get(key)
        if entry is not None:
            value, expires_at = entry
            if expires_at > self._clock():
                self._entries.move_to_end(key)
                self._hits += 1
                return value
            del self._entries[key]
            self._expirations += 1
        self._misses += 1
        return default

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` until `ttl` seconds from now, making room first if `key` is new."""
        now = self._clock()
        if key in self._entries:
            self._entries.move_to_end(key)
        else:
            if now >= self._earliest_expiry:
                self._drop_expired(now)
            if len(self._entries) >= self._max_size:
                self._entries.popitem(last=False)
                self._evictions += 1
        self._earliest_expiry = min(self._earliest_expiry, now + ttl)
        self._entries[key] = (value, now + ttl)

    def _drop_expired(self, now: float) -> None:
        """Drop the expired ones among the `_PURGE_SCAN` least recently used entries."""
        scanned = islice(self._entries.items(), _PURGE_SCAN)
        expired = [key for key, (_, expires_at) in scanned if expires_at <= now]
        for key in expired:
            del self._entries[key]
        self._expirations += len(expired)
        if not self._entries:
            self._earliest_expiry = math.inf

    async def delete(self, key: str) -> bool:
        """Remove `key`; an expired entry is removed too but reported as absent."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        if entry[1] <= self._clock():
            self._expirations += 1
            return False
        return True

    async def clear(self) -> None:
        """Drop every entry; counters are kept (they describe the store's lifetime)."""
        self._entries.clear()
        self._earliest_expiry = math.inf

    async def ping(self) -> None:
        """Raise once closed; memory is otherwise always available."""
        if self._closed:
            raise ServiceNotReadyError("Memory cache store is closed")

    async def close(self) -> None:
        """Free the entries now rather than when the store is garbage-collected."""
        await self.clear()
        self._closed = True

    def stats(self) -> StoreStats:
        """Counters for the cache service's stats."""
        return StoreStats(
            len(self._entries), self._hits, self._misses, self._evictions, self._expirations
        )


__all__ = ["MemoryStore"]
