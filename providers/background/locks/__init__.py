"""Leases that let an exclusive background task run once per interval across instances."""

import time
import uuid
from collections.abc import Callable

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError


class TaskLock:
    """Named leases held by one holder (one lock object = one application instance), lost
    `ttl` after the holder stops renewing them. A backend provides `_take`, and, if it has a
    server, `_answer` (raise unless it can serve) and `_release` (close its connections)."""

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
        raise NotImplementedError

    async def _answer(self) -> None: ...

    async def _release(self) -> None: ...


class LocalTaskLock(TaskLock):
    """Leases in this process's memory, expiring on `clock`. Locks given the same `leases`
    (task name -> holder, expiry) are separate holders of them, as the schedulers of several
    applications in one process would be."""

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


def create_task_lock(
    lock_url: str | None, *, clock: Callable[[], float] = time.monotonic
) -> TaskLock:
    """The lock for `lock_url` (checked by the settings): Redis, PostgreSQL, or this process
    when unset. A server's client is imported only when its lock is used."""
    if not lock_url:
        return LocalTaskLock(clock=clock)
    if lock_url.startswith("redis"):
        from providers.background.locks.redis import RedisTaskLock  # noqa: PLC0415

        return RedisTaskLock(lock_url, clock=clock)
    from providers.background.locks.postgres import PostgresTaskLock  # noqa: PLC0415

    return PostgresTaskLock(lock_url, clock=clock)
