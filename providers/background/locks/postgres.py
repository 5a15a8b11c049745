"""Exclusive-task leases on PostgreSQL: session advisory locks on one dedicated connection.

An advisory lock lives as long as the session that took it, so the instance that first wins
a task's lock keeps running it; when that instance stops or dies, its connection closes, the
server releases the lock, and the next instance to try takes over. The lease `ttl` is
therefore not needed here: the server notices a dead holder by itself.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from providers.redis_connection.circuit_breaker import UNAVAILABLE, CircuitBreaker
from providers.urls import redacted_url

logger = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a task name (the same on every instance)."""
    digest = hashlib.blake2b(f"wirework-task:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresTaskLock:
    """`TaskLock` over `pg_try_advisory_lock` on a connection of its own (not the pool's).

    While the server cannot answer, a circuit breaker skips it for `retry_after` seconds at
    a time and keeps the warnings to one now and then, as for the Redis lock.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 2.0,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._held: set[str] = set()
        self._guard = asyncio.Lock()  # one statement at a time on the shared connection
        self._breaker = CircuitBreaker(
            "PostgreSQL task lock",
            failures=(OSError, asyncpg.PostgresError, asyncpg.InterfaceError),
            fallback="exclusive tasks are skipped",
            logger=logger,
            retry_after=retry_after,
            clock=clock,
        )

    async def initialize(self) -> None:
        """Connect now, so a wrong URL fails at start-up rather than at the first run."""
        await self._connect()

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """True while this instance holds `name`'s lock; False when another one does.

        False too while the server cannot be reached: a skipped run is better than the same
        task running on several instances at once.
        """
        won = await self._breaker.call(self._try_acquire, name)
        return won is not UNAVAILABLE and won

    async def ping(self) -> None:
        """Raise unless the lock's connection answers (even while the breaker is open)."""
        await self._breaker.check(self._fetch, "SELECT 1")

    async def close(self) -> None:
        """Close the connection; the server releases every lock this instance held."""
        connection, self._connection = self._connection, None
        self._held.clear()
        if connection is not None and not connection.is_closed():
            await connection.close(timeout=self.connect_timeout)

    async def _try_acquire(self, name: str) -> bool:
        connection = self._connection
        if name in self._held and connection is not None and not connection.is_closed():
            return True
        won = bool(await self._fetch("SELECT pg_try_advisory_lock($1)", advisory_key(name)))
        if won:
            self._held.add(name)
        return won

    async def _fetch(self, query: str, *args: Any) -> Any:
        """One statement on the lock's connection, reconnecting first if it was lost."""
        async with self._guard:
            if self._connection is None or self._connection.is_closed():
                self._held.clear()  # a closed session released every lock it had
                await self._connect()
            return await self._connection.fetchval(query, *args)

    async def _connect(self) -> None:
        try:
            self._connection = await asyncpg.connect(self.url, timeout=self.connect_timeout)
        except (OSError, asyncpg.PostgresError) as error:
            raise ConnectionError(
                f"cannot connect to the PostgreSQL task lock at {redacted_url(self.url)}: {error}"
            ) from error
