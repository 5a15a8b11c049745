"""Failed sign-ins counted per e-mail and per client address, so passwords cannot be guessed.

The counts live in Redis when the cache does (every instance sees the same counts), else in
this process. Each count starts a window of `window` seconds at its first failure; once a
count reaches its limit, sign-ins for that e-mail or from that client wait out the window.
"""

import logging
import time
from collections.abc import Callable
from typing import Final, Literal, Protocol

from providers.durations import milliseconds, positive_seconds
from providers.redis_connection.circuit_breaker import UNAVAILABLE
from providers.redis_connection.client import GuardedRedis

logger = logging.getLogger(__name__)

MAX_TRACKED: Final = 100_000
"""Counts a process keeps at most: a flood of made-up e-mails cannot exhaust its memory."""

# Atomic: the first failure of a window starts its expiry.
_COUNT_FAILURE: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class FailureCounts(Protocol):
    """Where failures are counted: `add` one, `read` (count, seconds left), `forget` a key."""

    async def add(self, key: str, window: float) -> None: ...
    async def read(self, key: str) -> tuple[int, float]: ...
    async def forget(self, key: str) -> None: ...
    async def close(self) -> None: ...


class MemoryCounts:
    """Counts in this process, expiring by `clock`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._clock = clock

    async def add(self, key: str, window: float) -> None:
        """Count one failure for `key`; the first of a window starts it."""
        count, ends = await self.read(key)
        now = self._clock()
        self._counts.pop(key, None)  # re-inserted last: the oldest counts are dropped first
        self._counts[key] = (count + 1, now + ends if count else now + window)
        if len(self._counts) > MAX_TRACKED:
            del self._counts[next(iter(self._counts))]

    async def read(self, key: str) -> tuple[int, float]:
        """Failures counted for `key` in its window, and the seconds the window has left."""
        count, ends = self._counts.get(key, (0, 0.0))
        left = ends - self._clock()
        if left <= 0:
            self._counts.pop(key, None)
            return 0, 0.0
        return count, left

    async def forget(self, key: str) -> None:
        """Drop the count of `key`."""
        self._counts.pop(key, None)

    async def close(self) -> None:
        """Drop every count."""
        self._counts.clear()


class RedisCounts:
    """Counts in Redis under `{namespace}:signin:`, shared by every instance; while Redis
    cannot answer, each instance counts alone (in memory) rather than not at all."""

    def __init__(self, url: str, namespace: str) -> None:
        guarded = GuardedRedis(
            url,
            namespace=namespace,
            server="Redis (failed sign-ins)",
            fallback="failed sign-ins are counted by each instance alone",
            logger=logger,
        )
        self._redis, self._breaker = guarded.client, guarded.breaker
        self._prefix = f"{guarded.prefix}signin:"
        self._count_failure = self._redis.register_script(_COUNT_FAILURE)
        self._fallback = MemoryCounts()

    async def add(self, key: str, window: float) -> None:
        """Count one failure for `key` in Redis (in memory while it is down)."""
        added = await self._breaker.call(
            self._count_failure, keys=[self._prefix + key], args=[milliseconds(window)]
        )
        if added is UNAVAILABLE:
            await self._fallback.add(key, window)

    async def read(self, key: str) -> tuple[int, float]:
        """The count and seconds left, the larger of Redis's and this instance's fallback."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._prefix + key)
            pipe.pttl(self._prefix + key)
            answer = await self._breaker.call(pipe.execute)
        local = await self._fallback.read(key)
        if answer is UNAVAILABLE or answer[0] is None:
            return local
        return max((int(answer[0]), max(answer[1], 0) / 1000), local)

    async def forget(self, key: str) -> None:
        """Drop the count of `key`, in Redis and in the fallback."""
        await self._breaker.call(self._redis.unlink, self._prefix + key)
        await self._fallback.forget(key)

    async def close(self) -> None:
        """Close the connections; counts stay in Redis until their windows end."""
        await self._redis.aclose()


class LoginLimiter:
    """How many failed sign-ins an e-mail and a client address may have per `window`."""

    def __init__(
        self, counts: FailureCounts, *, per_email: int, per_client: int, window: float
    ) -> None:
        self._counts = counts
        self._limits = {"email": per_email, "client": per_client}
        self._window = positive_seconds("window", window)

    async def initialize(self) -> None:
        """Nothing to open: Redis is connected on first use."""

    async def close(self) -> None:
        """Release the counts' store."""
        await self._counts.close()

    async def retry_after(self, email: str, client: str) -> float | None:
        """Seconds to wait before trying again, or None when a sign-in may be tried now."""
        waits = []
        for key, limit in self._keys(email, client):
            count, left = await self._counts.read(key)
            if count >= limit:
                waits.append(left)
        return max(waits) if waits else None

    async def failed(self, email: str, client: str) -> None:
        """Count a failed sign-in against the e-mail and the client."""
        for key, _ in self._keys(email, client):
            await self._counts.add(key, self._window)

    async def succeeded(self, email: str) -> None:
        """The e-mail's owner signed in: its failures are forgiven (the client's are not)."""
        await self._counts.forget(f"email:{email.lower()}")

    def _keys(self, email: str, client: str) -> list[tuple[str, int]]:
        return [
            (f"email:{email.lower()}", self._limits["email"]),
            (f"client:{client}", self._limits["client"]),
        ]


def create_login_limiter(
    backend: Literal["memory", "redis"],
    *,
    url: str | None,
    namespace: str,
    per_email: int,
    per_client: int,
    window: float,
) -> LoginLimiter:
    """The limiter counting where the cache stores: in Redis for ``"redis"``, else in memory."""
    counts: FailureCounts = (
        RedisCounts(url, namespace) if backend == "redis" and url else MemoryCounts()
    )
    return LoginLimiter(counts, per_email=per_email, per_client=per_client, window=window)
