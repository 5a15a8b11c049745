"""Leases that let exclusive background tasks run at most once per interval across instances.

`BackgroundService` asks its `TaskLock` for the lease on a task's name before each due run
of an exclusive task: `LocalTaskLock` here (one process), `RedisTaskLock` (leases in Redis)
or `PostgresTaskLock` (advisory locks), chosen by `create_task_lock` from the lock URL.
"""

import time
import uuid
from collections.abc import Callable
from typing import Protocol

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError

__all__ = ["LocalTaskLock", "TaskLock", "create_task_lock"]


class TaskLock(Protocol):
    """Named, expiring leases held by one holder (one lock object = one application instance).

    A holder keeps a lease by renewing it; nobody else can take it until it expires. Holders
    that stop renewing (crashed, shut down) lose it after `ttl`, so a successor never runs
    a task sooner than one lease after the last run.
    """

    async def initialize(self) -> None:
        """Prepare the backend (connect, check the server); called once before use."""

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name` for `ttl` seconds; False at once if another has it."""
        ...

    async def ping(self) -> None:
        """Return when the lock can serve; raise otherwise (readiness checks call this)."""

    async def close(self) -> None:
        """Release connections. Leases are left to expire, so no interval runs twice."""


def create_task_lock(
    lock_url: str | None, *, clock: Callable[[], float] = time.monotonic
) -> TaskLock:
    """The lock for `lock_url`, a URL settings accepted; unset or empty: in-process only."""
    if not lock_url:
        return LocalTaskLock(clock=clock)
    # Imported here: an application that uses neither server never loads its client.
    if lock_url.startswith("redis"):
        from providers.background.locks.redis import RedisTaskLock  # noqa: PLC0415

        return RedisTaskLock(lock_url, clock=clock)
    from providers.background.locks.postgres import PostgresTaskLock  # noqa: PLC0415

    return PostgresTaskLock(lock_url, clock=clock)


class LocalTaskLock:
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
        self._clock = clock
        self._holder = uuid.uuid4().hex
        self.leases: dict[str, tuple[str, float]] = {} if leases is None else leases
        self._closed = False

    async def initialize(self) -> None:
        """Nothing to prepare in memory."""

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name`; False while another holder's lease is alive."""
        await self.ping()
        positive_seconds("ttl", ttl)
        now = self._clock()
        holder, expires_at = self.leases.get(name, (self._holder, now))
        if holder != self._holder and expires_at > now:
            return False
        self.leases[name] = (self._holder, now + ttl)
        return True

    async def ping(self) -> None:
        """Raise once closed; memory is otherwise always available."""
        if self._closed:
            raise ServiceNotReadyError("task lock is closed")

    async def close(self) -> None:
        """Stop serving; leases stay until they expire (see `TaskLock.close`)."""
        self._closed = True
