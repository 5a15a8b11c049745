"""Task leases in Redis: an exclusive task runs on one instance per interval across a cluster."""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Unpack

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError
from providers.redis_connection.client import ConnectionOptions, GuardedRedis

logger = logging.getLogger(__name__)


class RedisTaskLock:
    """A `TaskLock` holding leases at ``{namespace}:{name}`` in Redis, one token per instance.

    Leases expire on Redis's clock; `clock` only paces the pause after a failure. While Redis
    cannot answer, `try_acquire` returns False: a task is skipped rather than run everywhere.
    The default namespace sits outside the cache's, so clearing the cache never drops a lease.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "wirework-task-lock",
        clock: Callable[[], float] = time.monotonic,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        self._redis = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis task lock",
            fallback="exclusive tasks are skipped",
            logger=logger,
            clock=clock,
            **options,
        )
        self._holder = uuid.uuid4().hex
        self._closed = False

    async def initialize(self) -> None:
        """Check that Redis answers, so a wrong `lock_url` fails at start-up."""
        await self.ping()

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name`; False while another holds it or Redis is down."""
        self._check_open()
        lease = self._redis.prefix + name
        positive_seconds("ttl", ttl)
        return (
            await self._redis.breaker.call(self._redis.take_lease, lease, self._holder, ttl) is True
        )

    async def ping(self) -> None:
        """Ask Redis even during an outage, so readiness sees it end; raise if it cannot serve."""
        self._check_open()
        await self._redis.breaker.check(self._redis.client.ping)

    async def close(self) -> None:
        """Close the connections; leases are left to expire, so no interval runs twice."""
        if self._closed:
            return
        self._closed = True
        await self._redis.client.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceNotReadyError("task lock is closed")


__all__ = ["RedisTaskLock"]
