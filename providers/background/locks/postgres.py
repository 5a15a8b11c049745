"""Exclusive-task leases on PostgreSQL: session advisory locks on one dedicated connection.

An advisory lock lives as long as the session that took it, so the instance that first
wins a task's lock keeps running it; when that instance stops or dies, its connection
closes, the server releases the lock, and the next instance to try takes over. The lease
`ttl` is therefore not needed here: the server notices a dead holder by itself.
"""

import asyncio
import hashlib
import logging
import time
from typing import Any

import asyncpg

from providers.urls import redacted_url

logger = logging.getLogger(__name__)

WARNING_EVERY = 30.0
"""Seconds between repeated warnings while the server is unreachable."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a task name (the same on every instance)."""
    digest = hashlib.blake2b(f"wirework-task:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresTaskLock:
    """`TaskLock` over `pg_try_advisory_lock` on a connection of its own (not the pool's)."""

    def __init__(self, url: str, *, connect_timeout: float = 2.0) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._held: set[str] = set()
        self._guard = asyncio.Lock()  # one statement at a time on the shared connection
        self._last_warning = -WARNING_EVERY

    async def initialize(self) -> None:
        """Connect now, so a wrong URL fails at start-up rather than at the first run."""
        await self._connect()

    async def try_acquire(self, name: str, ttl: float) -> bool:
        """True while this instance holds `name`'s lock; False when another one does.

        If the server cannot be reached the answer is False: a skipped run is better
        than the same task running on several instances at once.
        """
        async with self._guard:
            try:
                connection = self._connection
                if connection is None or connection.is_closed():
                    self._held.clear()  # a closed session released every lock it had
                    connection = await self._connect()
                if name in self._held:
                    return True
                won = await connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", advisory_key(name)
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self._warn(f"task lock unavailable, skipping {name!r}: {error}")
                return False
            if won:
                self._held.add(name)
            return bool(won)

    async def ping(self) -> None:
        """Raise unless the lock's connection answers."""
        async with self._guard:
            if self._connection is None or self._connection.is_closed():
                await self._connect()
            await self._connection.fetchval("SELECT 1")

    async def close(self) -> None:
        """Close the connection; the server releases every lock this instance held."""
        connection, self._connection = self._connection, None
        self._held.clear()
        if connection is not None and not connection.is_closed():
            await connection.close(timeout=self.connect_timeout)

    async def _connect(self) -> Any:
        try:
            self._connection = await asyncpg.connect(self.url, timeout=self.connect_timeout)
        except (OSError, asyncpg.PostgresError) as error:
            raise ConnectionError(
                f"cannot connect to the PostgreSQL task lock at {redacted_url(self.url)}: {error}"
            ) from error
        return self._connection

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARNING_EVERY:
            self._last_warning = now
            logger.warning(message)
