"""Failed sign-ins counted per e-mail and per client address, so passwords cannot be guessed.

The counts live in Redis when the cache does (every instance sees the same counts), else in
this process. Each count starts a window of `window` seconds at its first failure; once a
count reaches its limit, sign-ins for that e-mail or from that client wait out the window.
"""

import time
from collections.abc import Callable
from typing import Final, Literal

from providers.durations import positive_seconds

MAX_TRACKED: Final = 100_000
"""Counts a process keeps at most: a flood of made-up e-mails cannot exhaust its memory."""


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
        if len(self._counts) > MAX_TRACKED:
            del self._counts[next(iter(self._counts))]

    async def read(self, key: str) -> tuple[int, float]:
        """The failures counted for `key` in its window, and the seconds the window has left."""
        count, ends = self._counts.get(key, (0, 0.0))
        left = ends - self._clock()
        if left <= 0:
            self._counts.pop(key, None)
            return 0, 0.0
        return count, left

    async def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    async def close(self) -> None:
        self._counts.clear()


class LoginLimiter:
    """How many failed sign-ins an e-mail and a client address may have per `window`."""

    def __init__(
        self, counts: MemoryCounts, *, per_email: int, per_client: int, window: float
    ) -> None:
        self._counts = counts
        self._per_email = per_email
        self._per_client = per_client
        self._window = positive_seconds("window", window)

    async def initialize(self) -> None:
        """Nothing to open: Redis is connected on first use."""

    async def close(self) -> None:
        await self._counts.close()

    async def retry_after(self, email: str, client: str) -> float | None:
        """Seconds to wait before trying again, or None when a sign-in may be tried now."""
        limits = {_email(email): self._per_email, f"client:{client}": self._per_client}
        waits = []
        for key, limit in limits.items():
            count, left = await self._counts.read(key)
            if count >= limit:
                waits.append(left)
        return max(waits, default=None)

    async def failed(self, email: str, client: str) -> None:
        await self._counts.add(_email(email), self._window)
        await self._counts.add(f"client:{client}", self._window)

    async def succeeded(self, email: str) -> None:
        """The e-mail's owner signed in: its failures are forgiven (the client's are not)."""
        await self._counts.forget(_email(email))


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
    """The limiter counting where the cache stores: in Redis for ``"redis"``, else in memory."""
    counts = MemoryCounts()
    if backend == "redis" and url:
        # Imported here: an application without Redis never loads its client.
        from providers.auth.redis_counts import RedisCounts  # noqa: PLC0415

        counts = RedisCounts(url, namespace)
    return LoginLimiter(counts, per_email=per_email, per_client=per_client, window=window)
