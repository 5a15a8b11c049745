"""Task leases in Redis, expiring on Redis's clock: one instance per interval across a cluster."""

import logging
import time
from collections.abc import Callable
from typing import Unpack

from providers.background.locks import TaskLock
from providers.redis_connection.client import ConnectionOptions, GuardedRedis


class RedisTaskLock(TaskLock):
    """Leases at ``{namespace}:{name}``, one token per instance; `clock` paces the breaker only.
    While Redis cannot answer a task is skipped. The default namespace sits outside the
    cache's, so clearing the cache never drops a lease."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "wirework-task-lock",
        clock: Callable[[], float] = time.monotonic,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        super().__init__()
        self._redis = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis task lock",
            fallback="exclusive tasks are skipped",
            logger=logging.getLogger(__name__),
            clock=clock,
            **options,
        )

    async def _take(self, name: str, ttl: float) -> bool:
        key = self._redis.prefix + name
        return (
            await self._redis.breaker.call(self._redis.take_lease, key, self._holder, ttl) is True
        )

    async def _answer(self) -> None:
        await self._redis.breaker.check(self._redis.client.ping)  # even while the breaker is open

    async def _release(self) -> None:
        await self._redis.client.aclose()
