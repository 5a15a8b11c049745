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
    """Unlinks the keys under `prefix`, and remembers those Redis missed during an outage.

    A write or delete skipped while Redis was down leaves Redis the key's previous value;
    `resync` unlinks those keys before any other call reaches Redis, so no process is
    served a value this one replaced.
    """

    def __init__(self, redis: Redis, breaker: CircuitBreaker, prefix: str) -> None:
        self._redis = redis
        self._breaker = breaker
        self._prefix = prefix
        # MATCH pattern with glob characters escaped, so a namespace like ``a*`` matches itself.
        self._pattern = "".join("\\" + char if char in "\\*?[]" else char for char in prefix) + "*"
        self._unsynced: set[str] = set()
        self._overflow = False
        self._lock = asyncio.Lock()
        self.in_sync = True
        """False while a write or delete is waiting to be forgotten by Redis."""

    def mark_unsynced(self, key: str) -> None:
        self.in_sync = False
        if len(self._unsynced) < _UNSYNCED_LIMIT:
            self._unsynced.add(key)
        else:
            self._overflow = True

    async def resync(self) -> bool:
        """Unlink the keys an outage missed (the whole namespace past the limit); True once done."""
        async with self._lock:  # later callers wait here rather than read stale values
            if self._overflow:
                if await self._breaker.call(self.unlink_all) is UNAVAILABLE:
                    return False
                self._overflow = False
                self._unsynced.clear()
            while self._unsynced:
                if await self._breaker.call(self._unlink_unsynced_batch) is UNAVAILABLE:
                    return False
            self.in_sync = not self._overflow  # an outage may have begun again meanwhile
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

    async def _unlink_unsynced_batch(self) -> None:
        batch = list(islice(self._unsynced, _BATCH))
        await self._redis.unlink(*(self._prefix + key for key in batch))
        self._unsynced.difference_update(batch)
