"""What the Redis cache store, sign-in counts and task lock share: a fail-fast client, its
circuit breaker, and leases."""

import logging
import time
from collections.abc import Callable
from typing import Final, TypedDict, Unpack

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from providers.durations import milliseconds, positive_seconds
from providers.redis_connection.circuit_breaker import CircuitBreaker

SERVER_FAILURES: Final = (RedisError, OSError)
"""Exceptions meaning "Redis cannot serve now": unreachable, timed out, or refusing commands."""

# Atomic; taking again a lease one holds renews it, so a retried call cannot lock out its caller.
_TAKE_OR_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""

_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class ConnectionOptions(TypedDict, total=False):
    """Seconds to connect or run one command (`socket_timeout`, 0.5), and to leave the server
    alone after a failure (`retry_after`, 1)."""

    socket_timeout: float
    retry_after: float


class GuardedRedis:
    """A lazily connecting Redis client whose calls are all bounded, its breaker, and leases
    on keys under `prefix` (``{namespace}:``). A broken connection is retried once at once (a
    restarted server dropped it), never a timeout: the breaker handles outages."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        server: str,
        fallback: str,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        if not namespace:
            raise ValueError(f"namespace must not be empty: it keeps the {server}'s keys apart")
        timeout = positive_seconds("socket_timeout", options.get("socket_timeout", 0.5))
        self.client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        )
        self.breaker = CircuitBreaker(
            server,
            failures=SERVER_FAILURES,
            fallback=fallback,
            logger=logger,
            retry_after=options.get("retry_after", 1.0),
            clock=clock,
        )
        self.prefix = f"{namespace}:"
        self._take_or_renew = self.client.register_script(_TAKE_OR_RENEW)
        self._release = self.client.register_script(_RELEASE)

    async def take_lease(self, key: str, token: str, ttl: float) -> bool:
        """Take `key` for `ttl` seconds, or renew it if `token` holds it; False if another does."""
        return bool(await self._take_or_renew(keys=[key], args=[token, milliseconds(ttl)]))

    async def release_lease(self, key: str, token: str) -> bool:
        """Delete `key` if `token` still holds it; a lease since taken by another is left alone."""
        return bool(await self._release(keys=[key], args=[token]))
