"""A cache store in Redis, shared by every instance: JSON values and Redis's own expiry.
While Redis is down it serves plain misses, so requests keep working from the database."""

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import Any, Final, ParamSpec, TypeVar, Unpack

from providers.cache.stores.base import MISSING, CacheStore
from providers.durations import milliseconds, positive_seconds
from providers.errors import ServiceNotReadyError, ServiceStartError
from providers.redis_connection.circuit_breaker import UNAVAILABLE, Unavailable
from providers.redis_connection.client import SERVER_FAILURES, ConnectionOptions, GuardedRedis
from providers.urls import redacted_url

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_NO_EXPIRY_FROM: Final = 2**53 / 1000
"""TTLs from here on (some 285,000 years) are stored without expiry: Redis rejects huge PX."""

_BATCH: Final = 500  # keys asked of each SCAN step, and unlinked per UNLINK


def _to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON: readable in redis-cli and safe to decode, unlike pickle. JSON's rules
    apply: tuples come back as lists, and dict keys as strings."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class RedisStore(CacheStore):
    """Entries at ``{namespace}:{key}``, shared by every instance on that namespace. `encode`
    raises `TypeError` or `ValueError` for a value it cannot store, `decode` `ValueError` for
    data it did not write (a miss). Keys written or deleted while Redis was down are unlinked
    before anything else when it answers again, so no instance reads a pre-outage value."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "wirework",
        fill_lease: float = 2.0,
        encode: Callable[[Any], bytes] = _to_json,
        decode: Callable[[bytes], Any] = json.loads,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        self._fill_lease = positive_seconds("fill_lease", fill_lease)
        self._guarded = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis cache",
            fallback="cache lookups are misses and writes are skipped",
            logger=logger,
            **options,
        )
        self._redis, self._prefix = self._guarded.client, self._guarded.prefix
        self._breaker = self._guarded.breaker
        # Glob characters escaped, so a namespace like ``a*`` matches only itself.
        self._pattern = "".join("\\" + c if c in "\\*?[]" else c for c in self._prefix) + "*"
        self._unsynced: set[str] | None = set()  # None: too many to remember, unlink them all
        self._resync_lock = asyncio.Lock()
        self._encode, self._decode = encode, decode
        self._url = url
        self._unreadable = 0
        self._closed = False
        self._in_service = False  # until a call is made, a failed ping is a start-up failure

    async def get(self, key: str) -> Any:
        """The value stored for `key`, or `MISSING` (absent, unreadable, Redis down)."""
        data = await self._command(self._redis.get, self._prefix + key)
        if data is None or data is UNAVAILABLE:
            return MISSING
        try:  # bytes unless the URL asks redis-py to decode replies
            return self._decode(data.encode() if isinstance(data, str) else data)
        except ValueError as error:
            self._unreadable += 1
            logger.warning("Redis cache entry %r is unreadable, counted as a miss: %s", key, error)
            return MISSING

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Skipped while Redis is down, but a value the codec refuses fails even then."""
        try:
            data = self._encode(value)
        except (TypeError, ValueError) as error:
            raise (TypeError if isinstance(error, TypeError) else ValueError)(
                f"cannot cache {key!r} in Redis: {error} (the value is a {type(value).__name__}). "
                "Cache JSON-compatible values (str, int, float, bool, None, and lists and dicts "
                "of them), or convert the value first."
            ) from error
        expiry = None if ttl >= _NO_EXPIRY_FROM else milliseconds(ttl)
        if await self._command(self._redis.set, self._prefix + key, data, px=expiry) is UNAVAILABLE:
            self._mark_unsynced(key)

    async def delete(self, key: str) -> bool:
        """False when `key` was absent, or when Redis is down (it is unlinked on recovery)."""
        removed = await self._command(self._redis.unlink, self._prefix + key)
        if removed is UNAVAILABLE:
            self._mark_unsynced(key)
            return False
        return removed > 0

    async def clear(self) -> None:
        """Only this namespace; raises while Redis is down: a clear must not look done."""
        await self._breaker.check(self._unlink_all)

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Run `factory` in one process at a time, under a lease of `fill_lease` seconds; the
        others poll for its value, and run `factory` themselves once the lease is over."""
        lease = f"{self._prefix}\x00fill:{key}"  # cache keys starting "\x00fill:" are reserved
        token, deadline = uuid.uuid4().hex, time.monotonic() + self._fill_lease
        delay = 0.005  # seconds until the next look at the key, doubling up to 0.1
        while True:
            taken = await self._command(self._guarded.take_lease, lease, token, self._fill_lease)
            if taken is not False:  # True, or UNAVAILABLE: with Redis down nobody coordinates
                try:
                    value = await self.get(key)  # a holder before this one may have filled it
                    return await super().fill(key, factory, ttl) if value is MISSING else value
                finally:
                    await self._command(self._guarded.release_lease, lease, token)
            if (remaining := deadline - time.monotonic()) <= 0:
                return await super().fill(key, factory, ttl)
            await asyncio.sleep(min(delay, remaining))
            delay = min(2 * delay, 0.1)
            value = await self.get(key)
            if value is not MISSING:
                return value  # type: ignore[no-any-return]

    async def ping(self) -> None:
        """Ask Redis even while calls are skipped, so readiness sees an outage and its end.
        Before the store has served, a failure is a start-up error (a wrong URL)."""
        if self._closed:
            raise ServiceNotReadyError("Redis cache store is closed")
        if self._in_service:
            await self._breaker.check(self._redis.ping)
            return
        try:
            await self._redis.ping()
        except SERVER_FAILURES as error:
            raise ServiceStartError(
                f"the Redis cache at {redacted_url(self._url)} does not answer: {error}",
                hint="start Redis there, or correct the URL",
            ) from error
        self._in_service = True

    async def close(self) -> None:
        """Entries stay in Redis for the other instances."""
        self._closed = True
        await self._redis.aclose()

    def stats(self) -> dict[str, int | None]:
        errors = self._breaker.failed_calls + self._unreadable
        return {"entries": None, "evictions": 0, "expirations": 0, "errors": errors}

    def _command(
        self, command: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[R | Unavailable]:
        """One call through the breaker, once Redis has forgotten the keys an outage missed
        (the usual case, nothing to forget, hands back the breaker's call itself)."""
        self._in_service = True
        if self._unsynced is None or self._unsynced:
            return self._resynced(command, *args, **kwargs)
        return self._breaker.call(command, *args, **kwargs)

    async def _resynced(
        self, command: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> R | Unavailable:
        async with self._resync_lock:  # later callers wait here rather than read stale values
            while self._unsynced is None or self._unsynced:
                if await self._breaker.call(self._unlink_unsynced) is UNAVAILABLE:
                    return UNAVAILABLE
        return await self._breaker.call(command, *args, **kwargs)

    def _mark_unsynced(self, key: str) -> None:
        """Remember a key an outage left stale in Redis, or, past a limit, that all may be."""
        if self._unsynced is not None:
            self._unsynced.add(key)
            if len(self._unsynced) > 100_000:  # past this, recovery unlinks the namespace
                self._unsynced = None

    async def _unlink_unsynced(self) -> None:
        if self._unsynced is None:
            await self._unlink_all()
            self._unsynced = set()
        else:
            batch = list(islice(self._unsynced, _BATCH))
            await self._redis.unlink(*(self._prefix + key for key in batch))
            self._unsynced.difference_update(batch)

    async def _unlink_all(self) -> None:
        """SCAN + UNLINK in batches, never FLUSHDB: other namespaces may share the database."""
        cursor = None
        while cursor != 0:
            cursor, names = await self._redis.scan(cursor or 0, match=self._pattern, count=_BATCH)
            if names:
                await self._redis.unlink(*names)
