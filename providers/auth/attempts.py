"""Failed sign-ins counted per e-mail and per client address, so passwords cannot be guessed:
a count's first failure opens a window of `window` seconds, and once the count reaches its
limit, sign-ins for that e-mail or from that client wait the window out."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


class MemoryCounts:
    """Failures per key in this process, each count expiring `window` seconds after its first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, end of its window)
        self._clock = clock

    async def add(self, key: str, window: float) -> None:
        now = self._clock()
        count, ends = self._counts.pop(key, (0, now))  # re-inserted last: oldest dropped first
        if ends <= now:
            count, ends = 0, now + window
        self._counts[key] = (count + 1, ends)
        if len(self._counts) > 100_000:  # so made-up e-mails cannot exhaust memory
            del self._counts[next(iter(self._counts))]

    async def read(self, key: str) -> tuple[int, float]:
        """The failures counted for `key` in its window, and the seconds the window has left."""
        count, ends = self._counts.get(key, (0, 0.0))
        if (left := ends - self._clock()) > 0:
            return count, left
        self._counts.pop(key, None)
        return 0, 0.0

    async def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    async def close(self) -> None:
        self._counts.clear()


@dataclass(frozen=True)
class LoginLimiter:
    """How many failed sign-ins an e-mail and a client address may have per `window`."""

    counts: MemoryCounts
    per_email: int
    per_client: int
    window: float

    async def initialize(self) -> None:
        """Nothing to open: Redis is connected on first use."""

    async def close(self) -> None:
        await self.counts.close()

    async def retry_after(self, email: str, client: str) -> float | None:
        """Seconds to wait before trying again, or None when a sign-in may be tried now."""
        waits = []
        for key, limit in ((_email(email), self.per_email), (f"client:{client}", self.per_client)):
            count, left = await self.counts.read(key)
            if count >= limit:
                waits.append(left)
        return max(waits, default=None)

    async def failed(self, email: str, client: str) -> None:
        await self.counts.add(_email(email), self.window)
        await self.counts.add(f"client:{client}", self.window)

    async def succeeded(self, email: str) -> None:
        """The e-mail's owner signed in: its failures are forgiven (the client's are not)."""
        await self.counts.forget(_email(email))


def _email(email: str) -> str:
    return f"email:{email.lower()}"


def create_login_limiter(
    backend: Literal["memory", "redis"],
    *,
    url: str | None,
    namespace: str,
    per_email: int,
    per_client: int,
    window: float,
) -> LoginLimiter:
    """The limiter counting where the cache stores: in Redis (shared by every instance) for
    `"redis"`, else in this process."""
    counts = MemoryCounts()
    if backend == "redis" and url:
        # Imported here: an application without Redis never loads its client.
        from providers.auth.redis_counts import RedisCounts  # noqa: PLC0415

        counts = RedisCounts(url, namespace)
    return LoginLimiter(counts, per_email, per_client, window)
