"""An in-process LRU store with per-entry expiry: the zero-set-up cache for one machine."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from itertools import islice
from types import MappingProxyType
from typing import Any

from providers.cache.stores.base import MISSING, CacheStore
from providers.errors import ServiceNotReadyError


class MemoryStore(CacheStore):
    """True LRU (reads refresh recency) bounded by `max_size`, expiry read from `clock`. Only
    `fill` awaits, so no lock is needed. Expired entries go when read, and a few least recently
    used ones when a new key is inserted once something may have expired."""

    backend = "memory"

    def __init__(self, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be a positive integer, got {max_size!r}")
        self._max_size = max_size
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()  # LRU first
        self.entries: Mapping[str, tuple[Any, float]] = MappingProxyType(self._entries)
        """Read-only key -> (value, expiry) view: reading it neither counts nor refreshes."""
        self._earliest_expiry = math.inf  # until the clock passes it, inserts skip the scan
        self._evictions = self._expirations = 0
        self._closed = False

    async def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if entry[1] > self._clock():
            self._entries.move_to_end(key)
            return entry[0]
        del self._entries[key]
        self._expirations += 1
        return MISSING

    async def set(self, key: str, value: Any, ttl: float) -> None:
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
        scanned = islice(self._entries.items(), 8)  # bounded work: the 8 least recently used
        expired = [key for key, (_, expires_at) in scanned if expires_at <= now]
        for key in expired:
            del self._entries[key]
        self._expirations += len(expired)
        if not self._entries:
            self._earliest_expiry = math.inf

    async def delete(self, key: str) -> bool:
        """An expired entry is removed too, but reported as absent."""
        entry = self._entries.pop(key, None)
        if entry is not None and entry[1] <= self._clock():
            self._expirations += 1
            return False
        return entry is not None

    async def clear(self) -> None:
        """Counters are kept: they describe the store's lifetime."""
        self._entries.clear()
        self._earliest_expiry = math.inf

    async def ping(self) -> None:
        if self._closed:
            raise ServiceNotReadyError("Memory cache store is closed")

    async def close(self) -> None:
        await self.clear()
        self._closed = True

    def stats(self) -> dict[str, int | None]:
        entries = len(self._entries)
        return {"entries": entries, "evictions": self._evictions, "expirations": self._expirations}
