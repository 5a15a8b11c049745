"""The keys of a Redis cache namespace: unlinking them all, and those an outage left stale."""

import asyncio
from itertools import islice
from typing import Any, Final

from redis.asyncio import Redis

from providers.redis_connection.circuit_breaker import UNAVAILABLE, CircuitBreaker

_BATCH: Final = 500
"""Keys asked of each SCAN step, and unlinked per UNLINK."""

_UNSYNCED_LIMIT: Final = 100_000
"""Keys remembered as written during an outage; past this, recovery clears the namespace."""


class NamespaceKeys:
    """Unlinks the keys under `prefix`, and those Redis missed during an outage: a write or
    delete skipped while Redis was down leaves it the key's previous value, so `resync` unlinks
    them before any other call reaches Redis, and no process is served a replaced value."""

    def __init__(self, redis: Redis, breaker: CircuitBreaker, prefix: str) -> None:
        self._redis = redis
        self._breaker = breaker
        self._prefix = prefix
        # Glob characters escaped, so a namespace like ``a*`` matches only itself.
        self._pattern = "".join("\\" + char if char in "\\*?[]" else char for char in prefix) + "*"
        self._unsynced: set[str] | None = set()  # None: too many to remember, unlink them all
        self._lock = asyncio.Lock()
        self.in_sync = True
        """False while a write or delete is waiting to be forgotten by Redis."""

    def mark_unsynced(self, key: str) -> None:
        self.in_sync = False
        if self._unsynced is not None:
            self._unsynced.add(key)
            if len(self._unsynced) > _UNSYNCED_LIMIT:
                self._unsynced = None

    async def resync(self) -> bool:
        """Unlink the keys an outage missed; True once done, False if Redis fails meanwhile."""
        async with self._lock:  # later callers wait here rather than read stale values
            while not self.in_sync:
                if await self._breaker.call(self._unlink_unsynced) is UNAVAILABLE:
                    return False
        return True

    async def unlink_all(self) -> None:
        """SCAN + UNLINK in batches, never FLUSHDB: other namespaces may share the database."""
        batch: list[Any] = []
        async for name in self._redis.scan_iter(match=self._pattern, count=_BATCH):
            batch.append(name)
            if len(batch) == _BATCH:
                await self._redis.unlink(*batch)
                batch = []
        if batch:
            await self._redis.unlink(*batch)

    async def _unlink_unsynced(self) -> None:
        if self._unsynced is None:
            await self.unlink_all()
            self._unsynced = set()
        else:
            batch = list(islice(self._unsynced, _BATCH))
            await self._redis.unlink(*(self._prefix + key for key in batch))
            self._unsynced.difference_update(batch)
        self.in_sync = not self._unsynced  # an outage may have begun again meanwhile
