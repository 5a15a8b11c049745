"""Failed sign-ins counted in Redis, shared by every instance of the application."""

import logging
from typing import Final

from providers.auth.attempts import MemoryCounts
from providers.durations import milliseconds
from providers.redis_connection.circuit_breaker import UNAVAILABLE
from providers.redis_connection.client import GuardedRedis

# Atomic: the first failure of a window starts its expiry.
_COUNT_FAILURE: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisCounts(MemoryCounts):
    """Counts in Redis under ``{namespace}:signin:``; while Redis cannot answer, each instance
    counts alone in memory (the counts it inherits) rather than not at all."""

    def __init__(self, url: str, namespace: str) -> None:
        super().__init__()
        guarded = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis (failed sign-ins)",
            fallback="failed sign-ins are counted by each instance alone",
            logger=logging.getLogger(__name__),
        )
        self._redis, self._breaker = guarded.client, guarded.breaker
        self._prefix = f"{guarded.prefix}signin:"
        self._count_failure = self._redis.register_script(_COUNT_FAILURE)

    async def add(self, key: str, window: float) -> None:
        added = await self._breaker.call(
            self._count_failure, keys=[self._prefix + key], args=[milliseconds(window)]
        )
        if added is UNAVAILABLE:
            await super().add(key, window)

    async def read(self, key: str) -> tuple[int, float]:
        """The larger of Redis's count and this instance's own."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._prefix + key)
            pipe.pttl(self._prefix + key)
            answer = await self._breaker.call(pipe.execute)
        local = await super().read(key)
        if answer is UNAVAILABLE or answer[0] is None:
            return local
        return max((int(answer[0]), max(answer[1], 0) / 1000), local)

    async def forget(self, key: str) -> None:
        await self._breaker.call(self._redis.unlink, self._prefix + key)
        await super().forget(key)

    async def close(self) -> None:
        """Counts stay in Redis until their windows end."""
        await super().close()
        await self._redis.aclose()
