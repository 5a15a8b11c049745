"""PostgreSQL behind the same pool interface, adapting asyncpg's own pool (which replaces,
prunes and resets connections): `:name` parameters, dict rows with a row count, metadata per
physical connection, and the line, so asyncpg always has a connection ready or opens one."""

import asyncio
import logging
import re
from typing import Any

import asyncpg

from providers.database.pools.base import (
    ConnectionPool,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
    is_read_only,
)
from providers.database.pools.named_params import bind
from providers.database.pools.postgres_errors import (
    LINK_ERRORS,
    SERVER_DOWN,
    VIOLATIONS,
    Silence,
    constraint_violation,
    start_error,
)
from providers.errors import DatabaseConnectionLostError, DatabaseUnavailableError

logger = logging.getLogger(__name__)

_ROW_COUNT = re.compile(r"(\d+)$")
_CHANGED_ROWS = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY")
_MAX_SHAPES = 1_000


def _affected(status: str) -> int:
    """Rows changed, from a command tag ('INSERT 0 3'); 'SELECT 3' (rows read) and DDL are 0."""
    match = _ROW_COUNT.search(status) if status.startswith(_CHANGED_ROWS) else None
    return int(match.group(1)) if match else 0


class PostgresConnection(PooledConnection):
    """One physical PostgreSQL connection; its metadata lasts across borrowings. `raw` is
    asyncpg's proxy while it is borrowed, None between, so a late caller reaches no one."""

    def __init__(
        self, raw: Any, shapes: dict[str, tuple[bool, bool]], query_timeout: float
    ) -> None:
        super().__init__("postgres")
        self.raw: Any = raw
        self.server_pid: int = raw.get_server_pid()
        self._shapes = shapes
        self._timeout = query_timeout

    @property
    def is_lost(self) -> bool:
        """True once the link closed (or, for a late caller, once it was released)."""
        try:
            return self.raw is None or bool(self.raw.is_closed())
        except asyncpg.InterfaceError:  # asyncpg took the proxy back: the link closed
            return True

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement with `:name` parameters bound as `$n` values."""
        raw = self.raw
        if raw is None:
            raise DatabaseConnectionLostError(
                f"PostgreSQL connection {self.id} was released back to the pool before this "
                "statement: borrow a connection again"
            )
        self._mark_used()
        statement, args = bind(sql, params)
        try:
            rows, affected = await self._run(raw, statement, args)
        except VIOLATIONS as error:
            raise constraint_violation(error) from error
        except TimeoutError as error:
            # The link stays busy until the server answers: cut it, the pool opens another.
            raw.terminate()
            raise DatabaseUnavailableError(
                f"PostgreSQL did not answer a statement within {self._timeout:g}s "
                "(database.query_timeout): the server is frozen or overloaded"
            ) from error
        except (*SERVER_DOWN, *LINK_ERRORS) as error:
            # A dropped link may be this backend's alone (pg_terminate_backend): the pool
            # retries a read on a new one. A server refusing to serve says so on a live link.
            if self.is_lost:
                raise DatabaseConnectionLostError(
                    f"PostgreSQL connection {self.id} was lost: {error}"
                ) from error
            if isinstance(error, SERVER_DOWN):
                raise DatabaseUnavailableError(f"PostgreSQL cannot serve: {error}") from error
            raise
        return {"rows": [dict(row) for row in rows], "affected": affected}

    async def _run(self, raw: Any, statement: str, args: list[Any]) -> tuple[list[Any], int]:
        """Rows and changed-row count from one call on asyncpg's statement cache: the first
        run is prepared, which gives both and records whether the statement returns rows
        (`fetch`) or only a command tag (`execute`), and whether the tag counts changes."""
        shape = self._shapes.get(statement)
        if shape is None:
            prepared = await raw.prepare(statement, timeout=self._timeout)
            rows = await prepared.fetch(*args, timeout=self._timeout)
            status = prepared.get_statusmsg()
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            self._shapes[statement] = (
                bool(prepared.get_attributes()),
                status.startswith(_CHANGED_ROWS),
            )
            return rows, _affected(status)
        returns_rows, counts_changes = shape
        if returns_rows:
            rows = await raw.fetch(statement, *args, timeout=self._timeout)
            return rows, len(rows) if counts_changes else 0
        return [], _affected(await raw.execute(statement, *args, timeout=self._timeout))


class PostgresPool(ConnectionPool[PostgresConnection]):
    """`min_size`..`max_size` asyncpg connections with the pool interface of Wirework."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        limits: PoolLimits,
        *,
        connect_timeout: float,
        query_timeout: float,
        max_inactive_connection_lifetime: float,
    ) -> None:
        super().__init__(limits)
        self.url = url
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self.max_inactive_connection_lifetime = max_inactive_connection_lifetime
        # A frozen server must not hold a finished request in the reset on release.
        self._reset_timeout = min(limits.close_timeout, query_timeout)
        self._pool: Any = None
        self._known: dict[int, PostgresConnection] = {}  # by server process id
        self._shapes: dict[str, tuple[bool, bool]] = {}
        self._silence = Silence()

    async def open(self) -> None:
        """Connect `min_size` connections; a server that cannot be reached is a clear error."""
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self.limits.min_size,
                max_size=self.limits.max_size,
                max_inactive_connection_lifetime=self.max_inactive_connection_lifetime,
                timeout=self.connect_timeout,
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise start_error(self.url, error) from error
        self._start()

    async def close(self) -> None:
        """Close every connection; waits at most `close_timeout` for borrowed ones."""
        if self._pool is None:
            return
        self._stop()
        try:
            await asyncio.wait_for(self._pool.close(), self.limits.close_timeout)
        except TimeoutError:
            logger.warning(
                "terminating %d PostgreSQL connections still in use after %.1fs",
                len(self._in_use),
                self.limits.close_timeout,
            )
            self._pool.terminate()
        self._pool = None
        self._in_use.clear()
        self._known.clear()

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement on a pooled connection; a read on a lost link runs once more."""
        try:
            return await super().execute(sql, params)
        except ConnectionError as error:
            if not self.is_open:
                raise
            # The server dropped a link (a restart, pg_terminate_backend, a proxy's idle
            # timeout); the links opened with it are likely gone too. Replace them all on
            # their next borrowing, so the next request succeeds.
            await self._pool.expire_connections()
            # A read changed nothing, so it is safe to run again, unless the server cannot serve.
            if isinstance(error, DatabaseUnavailableError) or not is_read_only(sql):
                raise
            return await super().execute(sql, params)

    @property
    def available(self) -> list[PooledConnection]:
        """Idle connections, as many as asyncpg reports, most recently used first."""
        if self._pool is None:
            return []
        idle: list[PooledConnection] = [c for c in self._known.values() if c not in self._in_use]
        idle.sort(key=lambda conn: conn.last_used or conn.created_at, reverse=True)
        return idle[: self._pool.get_idle_size()]

    async def _lend(self) -> PostgresConnection:
        self._silence.check()
        try:
            raw = await self._pool.acquire()
        except TimeoutError:
            self._silence.noticed()
            raise DatabaseUnavailableError(
                f"PostgreSQL did not accept a new connection within {self.connect_timeout:g}s "
                "(database.connect_timeout): the server is frozen or overloaded"
            ) from None
        except (*SERVER_DOWN, OSError) as error:
            raise DatabaseUnavailableError(
                f"cannot connect to PostgreSQL: {str(error) or type(error).__name__}"
            ) from error
        connection = self._known.get(raw.get_server_pid())
        if connection is None:
            if len(self._known) >= self.limits.max_size:  # asyncpg retired an idle one
                idle = [conn for conn in self._known.values() if conn not in self._in_use]
                oldest = min(idle, key=lambda conn: conn.last_used or conn.created_at)
                del self._known[oldest.server_pid]
            connection = PostgresConnection(raw, self._shapes, self.query_timeout)
            self._known[connection.server_pid] = connection
        connection.raw = raw
        return connection

    async def _give_back(self, connection: PostgresConnection) -> None:
        """Hand the connection back to asyncpg, which resets it or, past the reset timeout,
        cuts it off (a new one replaces it on demand)."""
        lost = connection.is_lost
        raw, connection.raw = connection.raw, None
        try:
            await self._pool.release(raw, timeout=self._reset_timeout)
        except TimeoutError:
            self._silence.noticed()
            lost = True
        except LINK_ERRORS as error:
            # The server dropped the link while it was borrowed: nothing for the caller to
            # handle, and raising here would hide the statement's own outcome.
            logger.info("PostgreSQL connection %s dropped on release: %s", connection.id, error)
            lost = True
        if lost:  # not reached when cancelled: asyncpg shields the release, which goes on
            self.replaced += 1
            self._known.pop(connection.server_pid, None)
