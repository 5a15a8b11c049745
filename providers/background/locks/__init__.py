"""Leases that let exclusive background tasks run at most once per interval across instances.

`BackgroundService` asks its `TaskLock` for the lease on a task's name before each due run
of an exclusive task: `LocalTaskLock` here (one process), `RedisTaskLock` (leases in Redis)
and `PostgresTaskLock` (advisory locks), chosen by `create_task_lock` from the lock URL.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError

__all__ = ["Lease", "LocalTaskLock", "TaskLock", "create_task_lock"]


class TaskLock(Protocol):
    """Named, expiring leases held by one holder (one lock object = one application instance).

    A holder keeps a lease by renewing it; nobody else can take it until it expires. Holders
    that stop renewing (crashed, shut down) lose it after `ttl`, so a successor never runs
    a task sooner than one lease after the last run.
    """

    async def initialize(self) -> None:
        """Prepare the backend (connect, check the server); called once before use."""
        ...

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name` for `ttl` seconds from now.

        Returns False, without waiting, while another holder's lease on `name` is alive.
        """
        ...

    async def ping(self) -> None:
        """Return when the lock can serve; raise otherwise (readiness checks call this)."""
        ...

    async def close(self) -> None:
        """Release connections. Leases are left to expire, so no interval runs twice."""
        ...


def create_task_lock(
    lock_url: str | None, *, clock: Callable[[], float] = time.monotonic
) -> TaskLock:
    """The lock for `lock_url` (a URL settings accepted): unset or empty means in-process only,
    ``redis://``/``rediss://`` Redis leases, ``postgresql://``/``postgres://`` advisory locks."""
    if not lock_url:
        return LocalTaskLock(clock=clock)
    # Imported here: an application that uses neither server never loads its client.
    if lock_url.startswith("redis"):
        from providers.background.locks.redis import RedisTaskLock  # noqa: PLC0415

        return RedisTaskLock(lock_url, clock=clock)
    from providers.background.locks.postgres import PostgresTaskLock  # noqa: PLC0415

    return PostgresTaskLock(lock_url, clock=clock)


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds a task's lease in memory, and until when (on the lock's clock)."""

    holder: str
    expires_at: float


class LocalTaskLock:
    """Leases in this process's memory: exclusive tasks run once per interval here only.

    `clock` (monotonic seconds) decides expiry, so tests can move time by hand. Locks given
    the same `leases` table are separate holders over the same leases, as the schedulers
    of several applications served by one process would be.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        leases: dict[str, Lease] | None = None,
    ) -> None:
        self._clock = clock
        self._holder = uuid.uuid4().hex
        self._leases: dict[str, Lease] = {} if leases is None else leases
        self._closed = False

    @property
    def leases(self) -> dict[str, Lease]:
        """The lease table, by task name; hand it to another lock to share it."""
        return self._leases

    async def initialize(self) -> None:
        """Nothing to prepare in memory."""

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """Take or renew the lease on `name`; False while another holder's lease is alive."""
        self._check_open()
        positive_seconds("ttl", ttl)
        now = self._clock()
        lease = self._leases.get(name)
        if lease is not None and lease.holder != self._holder and lease.expires_at > now:
            return False
        self._leases[name] = Lease(self._holder, now + ttl)
        return True

    async def ping(self) -> None:
        """Raise once closed; memory is otherwise always available."""
        self._check_open()

    async def close(self) -> None:
        """Stop serving; leases stay until they expire (see `TaskLock.close`)."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceNotReadyError("task lock is closed")
