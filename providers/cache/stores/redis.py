"""A cache store in Redis, shared by every instance: JSON values and Redis's own expiry.

While Redis is down it serves plain misses, so requests keep working from the database.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, ParamSpec, TypeVar, Unpack

from providers.cache.stores.base import MISSING, StoreStats
from providers.cache.stores.codec import JSON_CODEC, ValueCodec
from providers.cache.stores.redis_namespace import NamespaceKeys
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

_FILL_LEASE_MARK: Final = "\x00fill:"
"""Fill leases live at ``{namespace}:\\x00fill:{key}``; cache keys starting so are reserved."""

_FIRST_POLL: Final = 0.005
_LONGEST_POLL: Final = 0.1
"""Seconds between looks at a key another process fills: doubling from the first to the longest."""


class RedisStore:
    """Entries in Redis at ``{namespace}:{key}``, shared by every instance on that namespace.

    Redis expires entries itself. When it cannot answer within the timeouts, lookups are misses
    and writes are skipped (counted in `errors`, logged at most every 30 s), and Redis is left
    alone for `retry_after` seconds after each failure: an outage costs one timeout, not one per
    request. Keys written or deleted meanwhile are unlinked when Redis answers again, before
    anything is read: it would otherwise serve their pre-outage values. `clock` times the pause
    and the waits of `fill`.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "wirework",
        fill_lease: float = 2.0,
        codec: ValueCodec = JSON_CODEC,
        clock: Callable[[], float] = time.monotonic,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        positive_seconds("fill_lease", fill_lease)
        guarded = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis cache",
            fallback="cache lookups are misses and writes are skipped",
            logger=logger,
            clock=clock,
            **options,
        )
        self._redis, self._breaker, self._prefix = guarded.client, guarded.breaker, guarded.prefix
        self._take_lease, self._release_lease = guarded.take_lease, guarded.release_lease
        self._keys = NamespaceKeys(self._redis, self._breaker, self._prefix)
        self._lease_prefix = f"{namespace}:{_FILL_LEASE_MARK}"
        self._fill_lease = fill_lease
        self._codec = codec
        self._clock = clock
        self._hits = 0
        self._misses = 0
        self._unreadable = 0
        self._closed = False
        self._url = url
        # Until the first ping answers or a call is made, a failed ping is a start-up failure.
        self._in_service = False

    async def get(self, key: str, default: Any = None) -> Any:
        """Return the value for `key`, or `default` when absent, expired or Redis is down."""
        value = self._decode(key, await self._command(self._redis.get, self._prefix + key))
        if value is MISSING:
            self._misses += 1
            return default
        self._hits += 1
        return value

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` for `ttl` seconds; skipped while Redis is down, but a value that cannot
        be encoded fails even then."""
        data = self._encode(key, value)
        expiry = None if ttl >= _NO_EXPIRY_FROM else milliseconds(ttl)
        stored = await self._command(self._redis.set, self._prefix + key, data, px=expiry)
        if stored is UNAVAILABLE:
            self._keys.mark_unsynced(key)

    async def delete(self, key: str) -> bool:
        """Remove `key`; False when it was absent, or when Redis is down (it goes on recovery)."""
        removed = await self._command(self._redis.unlink, self._prefix + key)
        if removed is UNAVAILABLE:
            self._keys.mark_unsynced(key)
            return False
        return removed > 0

    async def clear(self) -> None:
        """Remove the keys of this namespace only; raises while Redis is down, unlike the other
        calls: a clear must not look done when it was not."""
        await self._breaker.check(self._keys.unlink_all)

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Run `factory` for `key` in one process at a time, under a lease of `fill_lease` s.

        The others poll for its value, and run `factory` themselves if the lease ends without
        one (one of them takes it next), once `fill_lease` seconds pass, or if Redis is down.
        """
        lease = self._lease_prefix + key
        token = uuid.uuid4().hex
        deadline = self._clock() + self._fill_lease
        while True:
            taken = await self._command(self._take_lease, lease, token, self._fill_lease)
            if taken is not False:  # True, or UNAVAILABLE: with Redis down nobody can coordinate
                return await self._fill_under_lease(key, lease, token, factory, ttl)
            value = await self._wait_for_fill(key, lease, deadline)
            if value is not MISSING:
                return value  # type: ignore[no-any-return]
            if self._clock() >= deadline:
                return await self._produce(key, factory, ttl)

    async def ping(self) -> None:
        """Ask Redis even while calls are skipped: readiness must see an outage and its end.

        Before the store has served, a failure is a `ServiceStartError` (a start-up check),
        not a warning promising misses from a store that never served.
        """
        if self._closed:
            raise ServiceNotReadyError("Redis cache store is closed")
        if not self._in_service:
            try:
                await self._redis.ping()
            except SERVER_FAILURES as error:
                raise ServiceStartError(
                    f"the Redis cache at {redacted_url(self._url)} does not answer: {error}",
                    hint="start Redis there, or correct the URL",
                ) from error
            self._in_service = True
            return
        await self._breaker.check(self._redis.ping)

    async def close(self) -> None:
        """Close the connections; entries stay in Redis for the other instances."""
        self._closed = True
        await self._redis.aclose()

    def stats(self) -> StoreStats:
        """Counters of this instance; entries, evictions and expirations are Redis's business."""
        errors = self._breaker.failed_calls + self._unreadable
        return StoreStats(None, self._hits, self._misses, 0, 0, errors)

    def _command(
        self, command: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[R | Unavailable]:
        """Run one Redis call through the breaker, once Redis forgot the keys an outage missed.

        A plain function: in sync, it hands back the breaker's coroutine itself, so the hot
        path of every lookup awaits one coroutine fewer."""
        self._in_service = True
        if self._keys.in_sync:
            return self._breaker.call(command, *args, **kwargs)
        return self._resync_then(command, *args, **kwargs)

    async def _resync_then(
        self, command: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> R | Unavailable:
        if not await self._keys.resync():
            return UNAVAILABLE
        return await self._breaker.call(command, *args, **kwargs)

    def _encode(self, key: str, value: Any) -> bytes:
        try:
            return self._codec.encode(value)
        except (TypeError, ValueError) as error:
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(
                f"cannot cache {key!r} in Redis: {error} (the value is a {type(value).__name__}). "
                "Cache JSON-compatible values (str, int, float, bool, None, and lists and dicts "
                "of them), or convert the value first."
            ) from error

    def _decode(self, key: str, data: bytes | str | Unavailable | None) -> Any:
        """The value `data` holds, or `MISSING` (absent, unreadable, Redis down)."""
        if data is None or data is UNAVAILABLE:
            return MISSING
        # Bytes unless the URL asks redis-py to decode replies; JSON reads either.
        raw = data.encode() if isinstance(data, str) else data
        try:
            return self._codec.decode(raw)
        except ValueError as error:
            # Not written by this codec: a miss, so the caller recomputes and overwrites it.
            self._unreadable += 1
            logger.warning("Redis cache entry %r is unreadable, counted as a miss: %s", key, error)
            return MISSING

    async def _fill_under_lease(
        self, key: str, lease: str, token: str, factory: Callable[[], Awaitable[T]], ttl: float
    ) -> T:
        """Fill `key` while holding its lease, unless an earlier holder stored it meanwhile."""
        try:
            value = self._decode(key, await self._command(self._redis.get, self._prefix + key))
            if value is MISSING:
                return await self._produce(key, factory, ttl)
            return value  # type: ignore[no-any-return]
        finally:
            await self._command(self._release_lease, lease, token)

    async def _produce(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        value = await factory()
        await self.set(key, value, ttl)
        return value

    async def _wait_for_fill(self, key: str, lease: str, deadline: float) -> Any:
        """The value another process fills; `MISSING` once its lease is gone, at `deadline`,
        or when Redis stops answering."""
        delay = _FIRST_POLL
        while (remaining := deadline - self._clock()) > 0:
            await asyncio.sleep(min(delay, remaining))
            delay = min(2 * delay, _LONGEST_POLL)
            polled = await self._command(self._poll, key, lease)
            if polled is UNAVAILABLE:
                return MISSING
            data, leased = polled
            if data is not None:
                return self._decode(key, data)
            if not leased:
                return MISSING
        return MISSING

    async def _poll(self, key: str, lease: str) -> tuple[bytes | str | None, bool]:
        """The stored data for `key`, and whether its fill lease is still held (one round trip)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._prefix + key)
            pipe.exists(lease)
            data, leased = await pipe.execute()
        return data, bool(leased)


__all__ = ["RedisStore"]
