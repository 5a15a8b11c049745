"""Exclusive-task locks on PostgreSQL: session advisory locks on one dedicated connection,
which the server releases when the holder's session ends, so the lease `ttl` is not needed."""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from providers.background.locks import TaskLock
from providers.redis_connection.circuit_breaker import CircuitBreaker
from providers.urls import redacted_url


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a task name (the same on every instance)."""
    digest = hashlib.blake2b(f"wirework-task:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresTaskLock(TaskLock):
    """`pg_try_advisory_lock` on a connection of its own, behind a circuit breaker: while the
    server cannot answer, exclusive tasks are skipped. A holder keeps a lock while it lives."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.url = url
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._guard = asyncio.Lock()  # one statement at a time on the shared connection
        self._breaker = CircuitBreaker(
            "PostgreSQL task lock",
            failures=(OSError, asyncpg.PostgresError, asyncpg.InterfaceError),
            fallback="exclusive tasks are skipped",
            logger=logging.getLogger(__name__),
            clock=clock,
        )

    async def _take(self, name: str, ttl: float) -> bool:
        lock = "SELECT pg_try_advisory_lock($1)"  # succeeds again for the session holding it
        return await self._breaker.call(self._fetch, lock, advisory_key(name)) is True

    async def _answer(self) -> None:
        await self._breaker.check(self._fetch, "SELECT 1")  # even while the breaker is open

    async def _release(self) -> None:
        """Close the connection: the server releases every lock this instance held."""
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            await connection.close(timeout=self.connect_timeout)

    async def _fetch(self, query: str, *args: Any) -> Any:
        """One statement on the lock's connection, reconnecting first if it was lost."""
        async with self._guard:
            if self._connection is None or self._connection.is_closed():
                try:
                    self._connection = await asyncpg.connect(self.url, timeout=self.connect_timeout)
                except (OSError, asyncpg.PostgresError) as error:
                    url = redacted_url(self.url)
                    message = f"cannot connect to the PostgreSQL task lock at {url}: {error}"
                    raise ConnectionError(message) from error
            return await self._connection.fetchval(query, *args)
