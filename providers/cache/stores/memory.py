"""An in-process LRU store with per-entry expiry: the zero-set-up cache for one machine."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from providers.cache.stores.base import StoreStats
from providers.errors import ServiceNotReadyError

_PURGE_SCAN = 8
"""How many least recently used entries an insert checks for expired ones (bounded work)."""


class _EntriesView(Mapping[str, Any]):
    """Read-only key -> value view; does not count lookups, refresh recency or hide expired ones."""

    __slots__ = ("_entries",)

    def __init__(self, entries: "OrderedDict[str, tuple[Any, float]]") -> None:
        self._entries = entries

    def __getitem__(self, key: str) -> Any:
        return self._entries[key][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


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
        self._view = _EntriesView(self._entries)
        # A lower bound on every stored expiry: until the clock passes it, inserts skip the scan.
        self._earliest_expiry = math.inf
        self._hits = 0
        self._misses = 0
        self._evictions = 0
        self._expirations = 0
        self._closed = False

    @property
    def entries(self) -> Mapping[str, Any]:
        """Live read-only view of what is stored, expired-but-not-yet-dropped entries included."""
        return self._view

    async def get(self, key: str, default: Any = None) -> Any:
        """The live value or `default` (see `lookup`)."""
        return self.lookup(key, default)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` for `ttl` seconds (see `put`)."""
        self.put(key, value, ttl)

    def lookup(self, key: str, default: Any = None) -> Any:
        """The live value or `default`; an expired entry is dropped here. Counts a hit or a miss."""
        entries = self._entries
        entry = entries.get(key)
        if entry is not None:
            value, expires_at = entry
            if expires_at > self._clock():
                entries.move_to_end(key)
                self._hits += 1
                return value
            del entries[key]
            self._expirations += 1
        self._misses += 1
        return default

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` until `ttl` seconds from now, making room first if `key` is new."""
        entries = self._entries
        now = self._clock()
        expires_at = now + ttl
        if key in entries:
            entries.move_to_end(key)
        else:
            if now >= self._earliest_expiry:
                self._drop_expired(now)
            if len(entries) >= self._max_size:
                entries.popitem(last=False)
                self._evictions += 1
        # Not min(): on Python 3.11 it parses keyword arguments on every call (decisions §8).
        if expires_at < self._earliest_expiry:  # noqa: PLR1730
            self._earliest_expiry = expires_at
        entries[key] = (value, expires_at)

    def _drop_expired(self, now: float) -> None:
        """Drop the expired ones among the `_PURGE_SCAN` least recently used entries."""
        entries = self._entries
        expired = [k for k, entry in islice(entries.items(), _PURGE_SCAN) if entry[1] <= now]
        for k in expired:
            del entries[k]
        self._expirations += len(expired)
        if not entries:
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
        self._entries.clear()
        self._earliest_expiry = math.inf
        self._closed = True

    def stats(self) -> StoreStats:
        """Counters for the cache service's stats."""
        return StoreStats(
            entries=len(self._entries),
            hits=self._hits,
            misses=self._misses,
            evictions=self._evictions,
            expirations=self._expirations,
        )


__all__ = ["MemoryStore"]
