"""PostgreSQL on asyncpg's own pool (which replaces, prunes and resets connections): `:name`
parameters, dict rows with a row count, metadata per physical connection, and asyncpg's errors
in the pools' terms (a lost link, a server that cannot serve, a violation, a failed start)."""

import asyncio
import contextlib
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from providers.database.pools.base import (
    ConnectionPool,
    ConstraintViolationError,
    NotNullViolationError,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
    is_read_only,
)
from providers.database.pools.named_params import bind
from providers.errors import (
    DatabaseConnectionLostError,
    DatabaseUnavailableError,
    ServiceStartError,
)
from providers.urls import redacted_url

logger = logging.getLogger(__name__)

# What asyncpg raises when the server side of a connection went away mid-use.
_LINK_ERRORS = (
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    OSError,
)
# What the server says when it cannot serve at all: starting up, shutting down, crashed
# (class 57), or a connection it cannot make or keep (class 08).
_SERVER_DOWN = (asyncpg.exceptions.OperatorInterventionError, asyncpg.PostgresConnectionError)
_VIOLATIONS = asyncpg.IntegrityConstraintViolationError  # SQLSTATE class 23
# asyncpg names the kinds as Wirework does; the others (restrict, exclusion) get the base class.
_KINDS = {kind.__name__: kind for kind in ConstraintViolationError.__subclasses__()}
_KEY_COLUMNS = re.compile(r"Key \((.*?)\)=")


def _constraint_violation(error: Any) -> ConstraintViolationError:
    """The pools' error for one of `_VIOLATIONS`, naming the table, the constraint and the
    columns (from 'Key (a, b)=(…)' or the NOT NULL column), never the values."""
    violation = _KINDS.get(type(error).__name__, ConstraintViolationError)
    match = _KEY_COLUMNS.match(error.detail or "")
    columns = tuple(name.strip() for name in match.group(1).split(",")) if match else ()
    if violation is NotNullViolationError and error.column_name:
        columns = (error.column_name,)
    return violation(error.table_name or "", columns, error.constraint_name or "")


def _start_error(url: str, error: Exception) -> ServiceStartError:
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


def _cause_only(record: logging.LogRecord) -> bool:
    """asyncpg logs each failed refill of its pool with a traceback, a wall of them while the
    server is down: the cause on the same line is what an operator needs."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None:
        cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        record.msg = f"{record.getMessage()}: {cause}"
        record.args, record.exc_info, record.exc_text = (), None, None
    return True


logging.getLogger("asyncpg.pool").addFilter(_cause_only)

_CHANGED_ROWS = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY")
_MAX_SHAPES = 1_000
SILENCE_BACKOFF = 1.0  # seconds borrowers fail at once after the server fell silent


def _affected(status: str) -> int:
    """Rows changed, from a command tag ('INSERT 0 3'); 'SELECT 3' (rows read) and DDL are 0."""
    return int(status.rpartition(" ")[2]) if status.startswith(_CHANGED_ROWS) else 0


class PostgresConnection(PooledConnection):
    """One physical PostgreSQL connection; its metadata lasts across borrowings. `raw` is
    asyncpg's proxy while it is borrowed, None between, so a late caller reaches no one."""

    def __init__(self, raw: Any, shapes: dict[str, tuple[bool, bool]], timeout: float) -> None:
        super().__init__("postgres")
        self.raw: Any = raw
        self.server_pid: int = raw.get_server_pid()
        self._shapes = shapes  # statement -> (returns rows, its tag counts changed rows)
        self._timeout = timeout

    @property
    def is_lost(self) -> bool:
        """True once the link closed (or, for a late caller, once it was released)."""
        try:
            return self.raw is None or bool(self.raw.is_closed())
        except asyncpg.InterfaceError:  # asyncpg took the proxy back: the link closed
            return True

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement with `:name` parameters bound as `$n` values. Its first run is
        prepared, which gives rows and command tag together and tells which later runs need:
        one call on asyncpg's statement cache, `fetch` for rows or `execute` for the tag."""
        raw = self.raw
        if raw is None:
            raise DatabaseConnectionLostError(
                f"PostgreSQL connection {self.id} was released back to the pool before this "
                "statement: borrow a connection again"
            )
        self._mark_used()
        statement, args = bind(sql, params)
        shape = self._shapes.get(statement)
        try:
            if shape is None:
                prepared = await raw.prepare(statement, timeout=self._timeout)
                rows = await prepared.fetch(*args, timeout=self._timeout)
                status = prepared.get_statusmsg()
                if len(self._shapes) >= _MAX_SHAPES:
                    self._shapes.clear()
                changes = status.startswith(_CHANGED_ROWS)
                self._shapes[statement] = (bool(prepared.get_attributes()), changes)
                affected = _affected(status)
            elif shape[0]:
                rows = await raw.fetch(statement, *args, timeout=self._timeout)
                affected = len(rows) if shape[1] else 0
            else:
                rows = []
                affected = _affected(await raw.execute(statement, *args, timeout=self._timeout))
        except _VIOLATIONS as error:
            raise _constraint_violation(error) from error
        except TimeoutError as error:
            # The link stays busy until the server answers: cut it, the pool opens another.
            raw.terminate()
            raise DatabaseUnavailableError(
                f"PostgreSQL did not answer a statement within {self._timeout:g}s "
                "(database.query_timeout): the server is frozen or overloaded"
            ) from error
        except (*_SERVER_DOWN, *_LINK_ERRORS) as error:
            # A dropped link may be this backend's alone (pg_terminate_backend): the pool
            # retries a read on a new one. A server refusing to serve says so on a live link.
            if self.is_lost:
                raise DatabaseConnectionLostError(
                    f"PostgreSQL connection {self.id} was lost: {error}"
                ) from error
            if isinstance(error, _SERVER_DOWN):
                raise DatabaseUnavailableError(f"PostgreSQL cannot serve: {error}") from error
            raise
        return {"rows": [dict(row) for row in rows], "affected": affected}


class PostgresPool(ConnectionPool[PostgresConnection]):
    """`min_size`..`max_size` asyncpg connections with the pool interface of Wirework."""

    dialect = "postgresql"

    def __init__(self, url: str, limits: PoolLimits) -> None:
        super().__init__(limits)
        self._url = url
        self._pool: Any = None
        self._known: dict[int, PostgresConnection] = {}  # by server process id, lending order
        self._shapes: dict[str, tuple[bool, bool]] = {}
        # Until then borrowers fail at once: the server just left a new connection or a
        # reset unanswered, as a healthy one never does.
        self._silent_until = 0.0

    async def open(self) -> None:
        """Connect `min_size` connections; a server that cannot be reached is a clear error."""
        try:
            self._pool = await asyncpg.create_pool(
                self._url,
                min_size=self.limits.min_size,
                max_size=self.limits.max_size,
                max_inactive_connection_lifetime=self.limits.max_inactive_connection_lifetime,
                timeout=self.limits.connect_timeout,
                # Bounds the reset on release (statements pass their own timeout): a frozen
                # server must not hold a finished request there.
                command_timeout=min(self.limits.close_timeout, self.limits.query_timeout),
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise _start_error(self._url, error) from error
        self._start()

    async def close(self) -> None:
        await self._stop()
        if self._in_use:
            self._pool.terminate()
        else:  # asyncpg terminates the connections itself when this times out
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pool.close(), self.limits.close_timeout)
        self._pool = None
        self._in_use.clear()
        self._known.clear()

    @property
    def available(self) -> list[PostgresConnection]:
        """Idle connections, as many as asyncpg reports, most recently lent first."""
        if self._pool is None:
            return []
        idle = [conn for conn in reversed(self._known.values()) if conn not in self._in_use]
        return idle[: self._pool.get_idle_size()]

    async def _recover(self, error: Exception, sql: str) -> bool:
        """A dropped link (a restart, pg_terminate_backend, a proxy's idle timeout) means the
        links opened with it are likely gone too: replace them all on their next borrowing.
        A read changed nothing, so it may run again, unless the server cannot serve."""
        if not isinstance(error, ConnectionError) or not self.is_open:
            return False
        await self._pool.expire_connections()
        return not isinstance(error, DatabaseUnavailableError) and is_read_only(sql)

    async def _lend(self) -> PostgresConnection:
        if time.monotonic() < self._silent_until:
            raise DatabaseUnavailableError(
                "PostgreSQL did not answer a moment ago (a new connection or a reset on "
                f"release timed out): not asked again for {SILENCE_BACKOFF:g}s"
            )
        try:
            raw = await self._pool.acquire()
        except TimeoutError:
            self._silent_until = time.monotonic() + SILENCE_BACKOFF
            raise DatabaseUnavailableError(
                "PostgreSQL did not accept a new connection within "
                f"{self.limits.connect_timeout:g}s (database.connect_timeout): the server is "
                "frozen or overloaded"
            ) from None
        except (*_SERVER_DOWN, OSError) as error:
            raise DatabaseUnavailableError(
                f"cannot connect to PostgreSQL: {str(error) or type(error).__name__}"
            ) from error
        pid = raw.get_server_pid()
        connection = self._known.pop(pid, None) or PostgresConnection(
            raw, self._shapes, self.limits.query_timeout
        )
        self._known[pid] = connection  # the dict runs from least to most recently lent
        if len(self._known) > self.limits.max_size:  # asyncpg retired an idle one
            stale = next(conn for conn in self._known.values() if conn not in self._in_use)
            del self._known[stale.server_pid]
        connection.raw = raw
        return connection

    async def _give_back(self, connection: PostgresConnection) -> None:
        """Hand the connection back to asyncpg, which resets it or, past the reset timeout,
        cuts it off (a new one replaces it on demand)."""
        lost = connection.is_lost
        raw, connection.raw = connection.raw, None
        try:
            await self._pool.release(raw)
        except TimeoutError:
            self._silent_until = time.monotonic() + SILENCE_BACKOFF
            lost = True
        except _LINK_ERRORS as error:
            # The server dropped the link while it was borrowed: nothing for the caller to
            # handle, and raising here would hide the statement's own outcome.
            logger.info("PostgreSQL connection %s dropped on release: %s", connection.id, error)
            lost = True
        if lost:  # not reached when cancelled: asyncpg shields the release, which goes on
            self.replaced += 1
            self._known.pop(connection.server_pid, None)
