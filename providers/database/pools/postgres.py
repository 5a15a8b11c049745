"""PostgreSQL behind the same pool interface, on asyncpg's own pool.

asyncpg already pools well (fair enough, replaces closed connections, prunes idle ones),
so this module only adapts it: `:name` parameters, dict rows with a row count, metadata
per physical connection, one timeout message, and figures read from asyncpg's counters.
"""

import asyncio
import logging
import re
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg

from providers.database.pools.base import (
    PoolClosedError,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
    is_read_only,
    pool_timeout_error,
)
from providers.database.pools.named_params import bind
from providers.errors import DatabaseConnectionLostError, ServiceStartError
from providers.urls import redacted_url

logger = logging.getLogger(__name__)

# What asyncpg raises when the server side of a connection went away mid-use.
_LINK_ERRORS = (
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    OSError,
)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_ROW_COUNT = re.compile(r"(\d+)$")


def _affected(status: str) -> int:
    """Row count from a command tag such as 'INSERT 0 3' or 'UPDATE 2'; 0 for DDL."""
    match = _ROW_COUNT.search(status)
    return int(match.group(1)) if match else 0


class PostgresConnection(PooledConnection):
    """One physical PostgreSQL connection; its metadata lasts across borrowings."""

    def __init__(self, raw: Any) -> None:
        super().__init__("postgres")
        self.raw = raw
        self.server_pid: int = raw.get_server_pid()

    @property
    def is_lost(self) -> bool:
        """True once the link closed; asyncpg may already have taken the proxy back."""
        try:
            return bool(self.raw.is_closed())
        except asyncpg.InterfaceError:  # released to asyncpg's pool when the link dropped
            return True

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement with `:name` parameters bound as `$n` values."""
        self._mark_used()
        statement, args = bind(sql, params)
        try:
            return await self._run(sql, statement, args)
        except _LINK_ERRORS as error:
            if not self.is_lost:
                raise
            raise DatabaseConnectionLostError(
                f"PostgreSQL connection {self.id} was lost: {error}"
            ) from error

    async def _run(self, sql: str, statement: str, args: list[Any]) -> QueryResult:
        if is_read_only(sql):
            rows = await self.raw.fetch(statement, *args)
            return {"rows": [dict(row) for row in rows], "affected": 0}
        if _RETURNING.search(sql):
            rows = await self.raw.fetch(statement, *args)
            return {"rows": [dict(row) for row in rows], "affected": len(rows)}
        status = await self.raw.execute(statement, *args)
        return {"rows": [], "affected": _affected(status)}


def postgres_start_error(url: str, error: Exception) -> ServiceStartError:
    """What a failed first connection to `url` means, and the likely fix."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    database = parts.path.lstrip("/") or parts.username or "postgres"
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        hint = (
            f"create the database first: createdb -h {host} -p {port} "
            f"-U {parts.username or 'postgres'} {database} (or CREATE DATABASE in psql)"
        )
    elif isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        hint = "check the user name and password in the URL, and the server's pg_hba.conf"
    elif isinstance(error, OSError):
        hint = f"nothing answers at {host}:{port}: start PostgreSQL, or correct the host and port"
    else:
        hint = "check the URL, and that the server accepts connections from this host"
    message = (
        f"cannot connect to PostgreSQL at {redacted_url(url)}: {error or type(error).__name__}"
    )
    return ServiceStartError(message, hint=hint)


class PostgresPool:
    """`min_size`..`max_size` asyncpg connections with the pool interface of Wirework."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        limits: PoolLimits = PoolLimits(),
        *,
        max_inactive_connection_lifetime: float = 300.0,
    ) -> None:
        self.url = url
        self.min_size, self.max_size = limits.min_size, limits.max_size
        self.acquire_timeout, self.close_timeout = limits.acquire_timeout, limits.close_timeout
        self.max_inactive_connection_lifetime = max_inactive_connection_lifetime
        self._pool: Any = None
        self._known: dict[int, PostgresConnection] = {}  # by server process id
        self._in_use: set[PostgresConnection] = set()
        self._waiting = 0
        self.acquired = 0
        self.peak_in_use = 0
        self.timeouts = 0
        self.replaced = 0

    async def open(self) -> None:
        """Connect `min_size` connections; a server that cannot be reached is a clear error."""
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self.min_size,
                max_size=self.max_size,
                max_inactive_connection_lifetime=self.max_inactive_connection_lifetime,
                timeout=self.acquire_timeout,
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise postgres_start_error(self.url, error) from error

    async def close(self) -> None:
        """Close every connection; waits at most `close_timeout` for borrowed ones."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), self.close_timeout)
        except TimeoutError:
            logger.warning(
                "terminating %d PostgreSQL connections still in use after %.1fs",
                len(self._in_use),
                self.close_timeout,
            )
            pool.terminate()
        self._in_use.clear()
        self._known.clear()

    async def acquire(self) -> PostgresConnection:
        """Borrow a connection, waiting up to `acquire_timeout` seconds."""
        if self._pool is None:
            raise PoolClosedError("Database service not initialized")
        self._waiting += 1
        try:
            raw = await self._pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            self.timeouts += 1
            raise pool_timeout_error(self.max_size, self.acquire_timeout) from None
        finally:
            self._waiting -= 1
        pid = raw.get_server_pid()
        connection = self._known.get(pid)
        if connection is None:
            self._forget_retired()
            connection = self._known[pid] = PostgresConnection(raw)
        connection.raw = raw
        self._in_use.add(connection)
        self.acquired += 1
        self.peak_in_use = max(self.peak_in_use, len(self._in_use))
        return connection

    async def release(self, borrowed: PooledConnection) -> None:
        """Return a borrowed connection; asyncpg replaces it if it was closed meanwhile."""
        connection = cast(PostgresConnection, borrowed)
        if connection not in self._in_use:
            if self._pool is None:
                return  # close() already dealt with it
            raise ValueError(
                f"connection {connection['id']} is not checked out from this pool (released twice?)"
            )
        self._in_use.discard(connection)
        lost = connection.is_lost
        try:
            await self._pool.release(connection.raw, timeout=self.close_timeout)
        except _LINK_ERRORS as error:
            # The server dropped the link while it was borrowed (pg_terminate_backend, a
            # restart) and asyncpg's reset on release hit the dead socket. asyncpg has
            # terminated it and opens a replacement on demand: nothing for the caller to
            # handle, and raising here would hide the statement's own outcome.
            logger.info("PostgreSQL connection %s dropped on release: %s", connection.id, error)
            lost = True
        if lost:
            self.replaced += 1
            self._known.pop(connection.server_pid, None)

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement on a pooled connection; a read on a lost link runs once more."""
        try:
            return await self._execute_once(sql, params)
        except ConnectionError:
            pool = self._pool
            if pool is None:
                raise
            # The server dropped a link (a restart, pg_terminate_backend, a proxy's idle
            # timeout); the links opened with it are likely gone too, even if asyncpg has not
            # read their end yet. Replace them all on their next borrowing, so the next
            # request succeeds. A read changed nothing, so it is safe to run again now.
            await pool.expire_connections()
            if not is_read_only(sql):
                raise
            return await self._execute_once(sql, params)

    async def _execute_once(self, sql: str, params: QueryParams) -> QueryResult:
        connection = await self.acquire()
        try:
            return await connection.execute(sql, params)
        finally:
            await self.release(connection)

    def _forget_retired(self) -> None:
        """Keep metadata for at most `max_size` connections: asyncpg retires idle ones."""
        idle = [conn for conn in self._known.values() if conn not in self._in_use]
        idle.sort(key=lambda conn: conn.last_used or conn.created_at)
        for connection in idle[: max(0, len(self._known) - self.max_size + 1)]:
            self._known = {pid: c for pid, c in self._known.items() if c is not connection}

    @property
    def available(self) -> list[PooledConnection]:
        """Idle connections, as many as asyncpg reports, most recently used first."""
        if self._pool is None:
            return []
        idle = [conn for conn in self._known.values() if conn not in self._in_use]
        idle.sort(key=lambda conn: conn.last_used or conn.created_at, reverse=True)
        return list(idle[: self._pool.get_idle_size()])

    @property
    def in_use(self) -> list[PooledConnection]:
        return list(self._in_use)

    @property
    def waiting(self) -> int:
        return self._waiting
