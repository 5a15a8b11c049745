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
    PoolBookkeeping,
    PoolClosedError,
    PooledConnection,
    PoolLimits,
    PoolTimeoutError,
    QueryParams,
    QueryResult,
    UniqueViolationError,
    is_read_only,
)
from providers.database.pools.named_params import bind
from providers.database.pools.reset_watchdog import ResetWatchdog
from providers.database.pools.waiting_line import WaitingLine
from providers.durations import positive_seconds
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
# Also AttributeError when reading a statement's status: asyncpg's proxy, once taken back,
# no longer forwards `_execute`.
_STATUS_LINK_ERRORS = (*_LINK_ERRORS, AttributeError)
_ROW_COUNT = re.compile(rb"(\d+)$")
_CHANGED_ROWS = (b"INSERT", b"UPDATE", b"DELETE", b"MERGE", b"COPY")
_KEY_COLUMNS = re.compile(r"Key \((.*?)\)=")


def _affected(status: bytes) -> int:
    """Rows a statement changed, from its command tag ('INSERT 0 3', 'UPDATE 2'); else 0.

    'SELECT 3' counts rows read, not changed, and DDL has no count: both are 0.
    """
    if not status.startswith(_CHANGED_ROWS):
        return 0
    match = _ROW_COUNT.search(status)
    return int(match.group(1)) if match else 0


def _unique_violation(error: Exception) -> UniqueViolationError:
    """The pool's own error for a unique violation, naming columns from 'Key (a, b)=(…)'."""
    detail = getattr(error, "detail", None) or ""
    match = _KEY_COLUMNS.match(detail)
    columns = tuple(name.strip() for name in match.group(1).split(",")) if match else ()
    table = getattr(error, "table_name", None) or ""
    return UniqueViolationError(table, columns, getattr(error, "constraint_name", None) or "")


class PostgresConnection(PooledConnection):
    """One physical PostgreSQL connection; its metadata lasts across borrowings.

    `raw` is asyncpg's proxy for the current borrowing (what its pool takes back); calls go
    to the connection behind it (`_con`), as each call through the proxy costs a wrapper or
    a `__getattr__`. The proxy's check against use after release is kept here: `_con` is
    None between borrowings.
    """

    def __init__(self, raw: Any) -> None:
        super().__init__("postgres")
        self.raw = raw
        self._con: Any = raw._con
        self.server_pid: int = self._con.get_server_pid()

    def lend(self, raw: Any) -> None:
        """Attach asyncpg's proxy for a new borrowing of this connection."""
        self.raw, self._con = raw, raw._con

    def take_back(self) -> None:
        """Detach it on release: a late `execute` must not reach the next borrower."""
        self._con = None

    @property
    def is_lost(self) -> bool:
        """True once the link closed (or, for a late caller, once it was released)."""
        return self._con is None or bool(self._con.is_closed())

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement with `:name` parameters bound as `$n` values."""
        con = self._con
        if con is None:
            raise DatabaseConnectionLostError(
                f"PostgreSQL connection {self.id} was released back to the pool before this "
                "statement: borrow a connection again"
            )
        self._mark_used()
        statement, args = bind(sql, params)
        try:
            # asyncpg's public calls return either the rows (`fetch`) or the command tag
            # (`execute`), and guessing which from the SQL text loses rows. `_execute` is the
            # one both are built on: it returns rows and tag from one round trip, on the
            # connection's statement cache. The contract test covers it on every upgrade.
            rows, status, _ = await con._execute(statement, args, 0, None, return_status=True)
        except asyncpg.UniqueViolationError as error:
            raise _unique_violation(error) from error
        except _STATUS_LINK_ERRORS as error:
            if not self.is_lost:
                raise
            raise DatabaseConnectionLostError(
                f"PostgreSQL connection {self.id} was lost: {error}"
            ) from error
        return {"rows": [dict(row) for row in rows], "affected": _affected(status)}


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
    cause = str(error) or type(error).__name__  # a connect timeout has no message
    message = f"cannot connect to PostgreSQL at {redacted_url(url)}: {cause}"
    return ServiceStartError(message, hint=hint)


class PostgresPool(PoolBookkeeping[PostgresConnection]):
    """`min_size`..`max_size` asyncpg connections with the pool interface of Wirework."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        limits: PoolLimits = PoolLimits(),
        *,
        connect_timeout: float = 10.0,
        max_inactive_connection_lifetime: float = 300.0,
    ) -> None:
        super().__init__(limits)
        self.url = url
        self.connect_timeout = positive_seconds("connect_timeout", connect_timeout)
        self.max_inactive_connection_lifetime = max_inactive_connection_lifetime
        self._pool: Any = None
        self._closing: Any = None  # the asyncpg pool while close() waits for borrowed ones
        self._known: dict[int, PostgresConnection] = {}  # by server process id
        # Borrowers queue here rather than in asyncpg: at most `max_size` go on to asyncpg,
        # which then always has a connection ready and needs no acquire deadline of its own.
        self._free = limits.max_size
        self._line = WaitingLine[None](limits.acquire_timeout, self._timed_out, self._hand_over)
        self._resets = ResetWatchdog(limits.close_timeout)

    async def open(self) -> None:
        """Connect `min_size` connections; a server that cannot be reached is a clear error."""
        self._free = self.max_size
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self.min_size,
                max_size=self.max_size,
                max_inactive_connection_lifetime=self.max_inactive_connection_lifetime,
                timeout=self.connect_timeout,
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise postgres_start_error(self.url, error) from error

    async def close(self) -> None:
        """Close every connection; waits at most `close_timeout` for borrowed ones."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        self._closing = pool
        self._line.fail_all(PoolClosedError("Database service was closed"))
        try:
            await asyncio.wait_for(pool.close(), self.close_timeout)
        except TimeoutError:
            logger.warning(
                "terminating %d PostgreSQL connections still in use after %.1fs",
                len(self._in_use),
                self.close_timeout,
            )
            pool.terminate()
        self._closing = None
        self._resets.stop()
        self._in_use.clear()
        self._known.clear()

    async def acquire(self) -> PostgresConnection:
        """Borrow a connection, waiting in line up to `acquire_timeout` seconds."""
        if self._pool is None:
            raise PoolClosedError("Database service not initialized")
        if self._free and not self._line:
            self._free -= 1
        else:
            await self._line.wait()
        try:
            # A place in line was free, so asyncpg has an idle connection, opens one (bounded
            # by the connect timeout) or is finishing a cancelled release (bounded by its
            # reset timer): no deadline needed here.
            raw = await self._pool.acquire()
        except TimeoutError:
            self._hand_over()
            raise PoolTimeoutError(
                f"could not open a new PostgreSQL connection within {self.connect_timeout}s "
                "(raise database.connect_timeout, or check the server's load)"
            ) from None
        except BaseException:
            self._hand_over()
            raise
        pid = raw._con.get_server_pid()
        connection = self._known.get(pid)
        if connection is None:
            self._forget_retired()
            connection = self._known[pid] = PostgresConnection(raw)
        connection.lend(raw)
        return self._checked_out(connection)

    async def release(self, borrowed: PooledConnection) -> None:
        """Return a borrowed connection; asyncpg replaces it if it was closed meanwhile."""
        connection = cast(PostgresConnection, borrowed)
        if not self._checked_in(connection, closed=self._pool is None):
            return  # close() already dealt with it
        lost = connection.is_lost
        connection.take_back()
        pool = self._pool or self._closing
        raw = connection.raw
        self._resets.watch(raw)
        try:
            await pool.release(raw)
        except _LINK_ERRORS as error:
            # The server dropped the link while it was borrowed (pg_terminate_backend, a
            # restart) or the reset overran and was cut off. asyncpg has terminated it and
            # opens a replacement on demand: nothing for the caller to handle, and raising
            # here would hide the statement's own outcome.
            logger.info("PostgreSQL connection %s dropped on release: %s", connection.id, error)
            lost = True
        except asyncio.CancelledError:
            raw = None  # asyncpg shields the release, so it goes on: the watchdog bounds it
            raise
        finally:
            self._hand_over()
            if raw is not None:
                self._resets.done(raw)
        if lost:
            self.replaced += 1
            self._known.pop(connection.server_pid, None)

    def _hand_over(self, _: None = None) -> None:
        """Give a freed place to the longest waiter, or keep it for the next borrower."""
        if not self._line.serve(None):
            self._free += 1

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
    def waiting(self) -> int:
        """Tasks waiting for a connection now."""
        return self._line.waiting
