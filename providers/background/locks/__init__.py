"""Leases that let an exclusive background task run once per interval across instances.

`create_task_lock` picks the backend from the lock URL: this process (`LocalTaskLock`),
Redis (`RedisTaskLock`) or PostgreSQL advisory locks (`PostgresTaskLock`).
"""

import time
import uuid
from collections.abc import Callable

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError


class TaskLock:
    """Named, expiring leases held by one holder (one lock object = one application instance).

    A holder keeps a lease by renewing it; one that stops renewing (crashed, closed) loses it
    after `ttl`, so a successor never runs a task sooner than one lease after the last run.
    A backend says how a lease is taken (`_take`), how the backend answers (`_answer`) and
    what closing releases (`_release`); the checks here are the same for all.
    """

    def __init__(self) -> None:
        self._holder = uuid.uuid4().hex
        self._closed = False

    async def initialize(self) -> None:
        """Reach the backend now, so a wrong URL fails at start-up rather than at a first run."""
        await self.ping()

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name` for `ttl` seconds; False at once if another has it."""
        self._check_open()
        return await self._take(name, positive_seconds("ttl", ttl))

    async def ping(self) -> None:
        """Return when the lock can serve; raise otherwise (readiness checks call this)."""
        self._check_open()
        await self._answer()

    async def close(self) -> None:
        """Release connections. Leases are left to expire, so no interval runs twice."""
        if not self._closed:
            self._closed = True
            await self._release()

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceNotReadyError("task lock is closed")

    async def _take(self, name: str, ttl: float) -> bool:
        raise NotImplementedError  # each backend takes a lease its own way

    async def _answer(self) -> None:
        """Raise unless the backend can serve; a lock in memory always can."""

    async def _release(self) -> None:
        """Close what the lock holds open; a lock in memory holds nothing."""


def create_task_lock(
    lock_url: str | None, *, clock: Callable[[], float] = time.monotonic
) -> TaskLock:
    """The lock for `lock_url`, a URL the settings accepted; unset or empty: in-process only."""
    if not lock_url:
        return LocalTaskLock(clock=clock)
    # Imported here: an application that uses neither server never loads its client.
    if lock_url.startswith("redis"):
        from providers.background.locks.redis import RedisTaskLock  # noqa: PLC0415

        return RedisTaskLock(lock_url, clock=clock)
    from providers.background.locks.postgres import PostgresTaskLock  # noqa: PLC0415

    return PostgresTaskLock(lock_url, clock=clock)


class LocalTaskLock(TaskLock):
    """Leases in this process's memory: exclusive tasks run once per interval here only.

    `clock` (monotonic seconds) decides expiry. Locks given the same `leases` table (task
    name -> holder, expiry) are separate holders over the same leases, as the schedulers of
    several applications served by one process would be.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        leases: dict[str, tuple[str, float]] | None = None,
    ) -> None:
        super().__init__()
        self._clock = clock
        self.leases: dict[str, tuple[str, float]] = {} if leases is None else leases

    async def _take(self, name: str, ttl: float) -> bool:
        now = self._clock()
        holder, expires_at = self.leases.get(name, (self._holder, now))
        if holder != self._holder and expires_at > now:
            return False
        self.leases[name] = (self._holder, now + ttl)
        return True
