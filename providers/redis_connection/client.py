"""What the Redis cache store and the Redis task lock share: a fail-fast client and leases."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
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


def connect(url: str, *, socket_timeout: float, connect_timeout: float) -> Redis:
    """A client for `url` whose every call is bounded: no retry loops, no waiting on a hung server.

    Connecting is lazy (no I/O here). A broken connection is retried once at once, so a pooled
    connection that a restarted server dropped is replaced unnoticed; a timeout is never retried.
    """
    positive_seconds("socket_timeout", socket_timeout)
    positive_seconds("connect_timeout", connect_timeout)
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        driver_info=None,  # skips CLIENT SETINFO: one round trip less per new connection
    )


_TAKE_OR_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return 1
end
return 0
"""

_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class Leases:
    """Expiring keys held by a token: only the holder renews or releases its lease.

    Both operations are Lua scripts, so check-then-act is atomic on the server, and taking
    again a lease one already holds succeeds (a retried call cannot lock its own caller out).
    """

    def __init__(self, client: Redis) -> None:
        self._take_or_renew = client.register_script(_TAKE_OR_RENEW)
        self._release = client.register_script(_RELEASE)

    async def take(self, key: str, token: str, ttl: float) -> bool:
        """Take `key` for `ttl` seconds, or renew it if `token` holds it; False if another does."""
        taken = await self._take_or_renew(keys=[key], args=[token, milliseconds(ttl)])
        return bool(taken)

    async def release(self, key: str, token: str) -> bool:
        """Delete `key` if `token` still holds it; a lease since taken by another is left alone."""
        return bool(await self._release(keys=[key], args=[token]))


class ConnectionOptions(TypedDict, total=False):
    """How a Redis-backed service talks to its server; every key has a default."""

    socket_timeout: float
    """Seconds one command may take (default 0.5)."""
    connect_timeout: float | None
    """Seconds to connect; None: `socket_timeout`."""
    retry_after: float
    """Seconds the breaker leaves the server alone after a failure (default 1)."""


@dataclass(frozen=True, slots=True)
class GuardedRedis:
    """A bounded client, its lease scripts, the breaker every call goes through, a key prefix."""

    client: Redis
    leases: Leases
    breaker: CircuitBreaker
    prefix: str
    """``{namespace}:``: every key the service owns starts with it."""


@dataclass(frozen=True, slots=True)
class RedisRole:
    """What a service uses Redis for, as its breaker's warnings say it."""

    server: str
    """The server as the service sees it, e.g. "Redis cache"."""
    fallback: str
    """What the service does while Redis cannot answer."""
    logger: logging.Logger


def guarded_redis(
    url: str,
    role: RedisRole,
    *,
    namespace: str,
    clock: Callable[[], float] = time.monotonic,
    **options: Unpack[ConnectionOptions],
) -> GuardedRedis:
    """Everything a Redis-backed service needs, its keys kept apart under `namespace`."""
    if not namespace:
        raise ValueError(f"namespace must not be empty: it keeps the {role.server}'s keys apart")
    socket_timeout = options.get("socket_timeout", 0.5)
    connect_timeout = options.get("connect_timeout")
    client = connect(
        url,
        socket_timeout=socket_timeout,
        connect_timeout=socket_timeout if connect_timeout is None else connect_timeout,
    )
    breaker = CircuitBreaker(
        role.server,
        failures=SERVER_FAILURES,
        fallback=role.fallback,
        logger=role.logger,
        retry_after=options.get("retry_after", 1.0),
        clock=clock,
    )
    return GuardedRedis(client, Leases(client), breaker, f"{namespace}:")


__all__ = [
    "SERVER_FAILURES",
    "ConnectionOptions",
    "GuardedRedis",
    "Leases",
    "RedisRole",
    "connect",
    "guarded_redis",
]
