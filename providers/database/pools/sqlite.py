"""A fair, bounded pool of aiosqlite connections.

Each connection owns one worker thread (aiosqlite's design), so a pool of N connections
lets N queries run at once. Writes are serialised by one lock per pool, whichever way they
come (`execute_query`, a borrowed connection, a transaction, a migration): SQLite allows a
single writer anyway, and queueing writers on the event loop is cheaper and fairer than
letting them spin in SQLite's busy handler. A connection takes the lock for a write and
keeps it while its transaction is open. The busy timeout still guards against writers in
other processes.
"""

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, cast

import aiosqlite

from providers.database.pools.base import (
    DatabaseStorageError,
    PoolBookkeeping,
    PoolClosedError,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
    UniqueViolationError,
    is_read_only,
)
from providers.database.pools.waiting_line import WaitingLine
from providers.errors import DatabaseConnectionLostError, ServiceStartError, WireworkError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000

_STORAGE_FAILURES = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN")
"""SQLite result codes (and their extended forms) that mean the file or disk refused."""


def sqlite_target(url: str | None) -> tuple[str, bool]:
    """Map a `sqlite:///…` URL to (database, is_file); memory gets a private shared name."""
    if url is None or url in ("sqlite:///:memory:", "sqlite://"):
        # memdb is shared by every connection that opens the same name in this process,
        # with real locking (unlike shared-cache mode); it vanishes with the last one.
        return f"file:/wirework-{uuid.uuid4().hex}?vfs=memdb", False
    if not url.startswith("sqlite:///"):
        raise ValueError(
            f"not a SQLite URL: {url!r} (expected sqlite:///path or sqlite:///:memory:)"
        )
    return url.removeprefix("sqlite:///"), True


class WriteOrderError(WireworkError, RuntimeError):
    """A task that holds SQLite's write lock asked for it again through another connection.

    It would wait for itself forever. Run the statement on the connection or transaction
    that holds the lock (`tx.execute_query`, or a repository method with `tx=tx`).
    """


class WriteLock:
    """One writer at a time across a pool's connections; a transaction keeps it to its end."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.holder: SQLiteConnection | None = None
        self._task: asyncio.Task[Any] | None = None

    async def acquire(self, connection: "SQLiteConnection") -> None:
        """Wait for the write lock; a task whose own transaction holds it gets `WriteOrderError`."""
        task = asyncio.current_task()
        if self.holder is not None and self._task is task:
            raise WriteOrderError(
                f"this task already writes through SQLite connection {self.holder.id} (an open "
                "transaction); run the statement in that transaction (tx.execute_query, or "
                "tx=tx on the repository): on another connection it would wait for itself"
            )
        await self._lock.acquire()
        self.holder, self._task = connection, task

    def release(self, connection: "SQLiteConnection") -> None:
        """Give the write lock back if `connection` holds it."""
        if self.holder is connection:
            self.holder = self._task = None
            self._lock.release()


def _unique_violation(error: sqlite3.IntegrityError) -> UniqueViolationError | None:
    """Read 'UNIQUE constraint failed: notes.owner_id, notes.title' into table and columns."""
    message = str(error)
    if not message.startswith("UNIQUE constraint failed: "):
        return None
    targets = [name.strip() for name in message.split(": ", 1)[1].split(",")]
    table = targets[0].partition(".")[0]
    return UniqueViolationError(table, tuple(target.partition(".")[2] for target in targets))


def _statement(connection: sqlite3.Connection, sql: str, params: QueryParams) -> QueryResult:
    """Run one statement on the connection's own thread: its rows as dicts and its count."""
    before = connection.total_changes
    cursor = connection.execute(sql, params or {})
    try:
        rows = [dict(row) for row in cursor.fetchall()]
        # sqlite3 counts rows only for statements starting with INSERT/UPDATE/DELETE/
        # REPLACE; a `WITH ... INSERT` reports -1, so count the changes it made instead.
        affected = cursor.rowcount if cursor.rowcount >= 0 else connection.total_changes - before
    finally:
        cursor.close()
    return {"rows": rows, "affected": affected}


class SQLiteConnection(PooledConnection):
    """One aiosqlite connection (and its worker thread) lent out by `SQLitePool`."""

    def __init__(self, raw: aiosqlite.Connection, writes: WriteLock) -> None:
        super().__init__("sqlite")
        self.raw = raw
        self.broken = False
        self.interrupted = False
        """A statement was cancelled while its worker thread may still be running it."""
        self._writes = writes

    @property
    def is_usable(self) -> bool:
        """False once the connection broke or was closed underneath us."""
        if self.broken:
            return False
        try:
            _ = self.raw.in_transaction  # raises ValueError once aiosqlite closed it
        except ValueError:
            return False
        return True

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open on this connection."""
        return self.is_usable and self.raw.in_transaction

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement and return its rows as dicts and its row count.

        A write takes the pool's write lock first; the lock is kept while the statement
        leaves a transaction open (`BEGIN IMMEDIATE`), and given back when it ends.
        """
        if self._writes.holder is not self:
            if is_read_only(sql):
                return await self._run(sql, params)
            await self._writes.acquire(self)
        try:
            return await self._run(sql, params)
        except asyncio.CancelledError:
            # aiosqlite's thread finishes the statement anyway: `release()` rolls back behind
            # it and only then frees the lock, so no second writer starts beside it.
            self.interrupted = True
            raise
        finally:
            if not self.interrupted and not self.in_transaction:
                self._writes.release(self)

    async def _run(self, sql: str, params: QueryParams) -> QueryResult:
        self._mark_used()
        bound = {} if params is None else params
        try:
            # One hop to the connection's thread for the statement, its rows and its count,
            # where aiosqlite's public calls take two (execute, then fetchall).
            result: QueryResult = await self.raw._execute(  # type: ignore[no-untyped-call]
                _statement, self.raw._conn, sql, bound
            )
            return result
        except ValueError as error:
            # aiosqlite's "Connection closed" / "no active connection": the link is gone.
            self.broken = True
            raise DatabaseConnectionLostError(f"SQLite connection {self.id} is closed") from error
        except sqlite3.ProgrammingError:
            self.broken = not self.is_usable
            raise
        except sqlite3.IntegrityError as error:
            violation = _unique_violation(error)
            if violation is None:
                raise
            raise violation from error
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorname", "")
            if not code.startswith(_STORAGE_FAILURES):
                raise
            message = f"SQLite refused the statement: {error} ({code})"
            if code.startswith("SQLITE_READONLY"):
                # SQLite opens a file it may not write read-only, and such a connection
                # never becomes writable: retire it.
                self.broken = True
                raise ReadOnlyConnectionError(message) from error
            raise DatabaseStorageError(message) from error


class ReadOnlyConnectionError(DatabaseStorageError):
    """The connection was opened while the file was read-only, and stays read-only."""


_Slot = SQLiteConnection | None  # None: room to open a new connection


async def _use_wal(raw: aiosqlite.Connection) -> None:
    """Switch the file to WAL, waiting up to the busy timeout for other openers.

    The switch needs an exclusive lock and SQLite does not wait for it in its busy handler:
    pools opening a new file together would get "database is locked" at once.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await raw.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            busy = getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.005)
        else:
            return


class SQLitePool(PoolBookkeeping[SQLiteConnection]):
    """Hands out at most `max_size` connections, first come first served."""

    dialect = "sqlite"

    def __init__(
        self,
        url: str | None = None,
        limits: PoolLimits = PoolLimits(),
    ) -> None:
        super().__init__(limits)
        self.url = url
        self._database, self._is_file = sqlite_target(url)
        self._idle: list[_Slot] = []
        self._line = WaitingLine[_Slot](limits.acquire_timeout, self._timed_out, self._hand_over)
        self._writes = WriteLock()
        self._open = False
        self._closed = False
        self._drained = asyncio.Event()
        self._keeper: aiosqlite.Connection | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Open `min_size` connections; a memory database also gets a keeper connection."""
        if self._is_file:
            folder = Path(self._database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ServiceStartError(
                    f"cannot create the folder {folder} for the SQLite database "
                    f"{self._database}: {error.strerror or error}",
                    hint="point the URL at a folder this user may create files in, "
                    "or create the folder and give this user write access to it",
                ) from error
        else:
            # Keeps the in-memory database alive while the pool holds no connection.
            self._keeper = await self._connect()
        self._idle = [None] * self.max_size
        self._open, self._closed = True, False
        try:
            for _ in range(self.min_size):
                connection = await self._new_connection()
                self._idle.pop(0)
                self._idle.append(connection)
        except sqlite3.Error as error:
            await self.close()
            raise ServiceStartError(
                f"cannot open the SQLite database {self._database}: {error}",
                hint="check that the file and its folder are readable and writable by this user",
            ) from error
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close every connection; waits at most `close_timeout` for borrowed ones."""
        self._open = False
        self._line.fail_all(PoolClosedError("Database service was closed"))
        if self._in_use:
            self._drained.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), self.close_timeout)
        if self._in_use:
            logger.warning(
                "closing %d connections still in use after %.1fs",
                len(self._in_use),
                self.close_timeout,
            )
        connections = [slot for slot in self._idle if slot is not None] + list(self._in_use)
        self._idle.clear()
        self._in_use.clear()
        # SQLite folds the WAL back into the file and deletes it when the last connection
        # closes; connections closing at the same moment can each see another still open,
        # and none would. So the last one closes alone.
        last = connections.pop() if connections else None
        await asyncio.gather(*(self._close_raw(conn.raw) for conn in connections))
        if last is not None:
            await self._close_raw(last.raw)
        if self._keeper is not None:
            await self._close_raw(self._keeper)
            self._keeper = None
        self._closed = True

    @property
    def is_open(self) -> bool:
        """True between `open()` and `close()`."""
        return self._open

    # -- borrowing -------------------------------------------------------------------

    async def acquire(self) -> SQLiteConnection:
        """Borrow a connection, waiting in line up to `acquire_timeout` seconds."""
        if not self._open:
            raise PoolClosedError("Database service not initialized")
        slot = self._idle.pop() if self._idle and not self._line else await self._line.wait()
        try:
            connection = slot if slot is not None and slot.is_usable else await self._replace(slot)
        except BaseException:
            self._hand_over(None)
            raise
        return self._checked_out(connection)

    async def release(self, borrowed: PooledConnection) -> None:
        """Return a borrowed connection; a broken one is closed and its place freed."""
        connection = cast(SQLiteConnection, borrowed)
        if not self._checked_in(connection, closed=self._closed):
            return  # close() already closed every borrowed connection
        try:
            await self._end_transaction(connection)
        finally:
            self._writes.release(connection)
        if not self._open:  # close() is waiting for this one
            await self._close_raw(connection.raw)
            if not self._in_use:
                self._drained.set()
            return
        if connection.is_usable:
            self._hand_over(connection)
        else:
            self.replaced += 1
            self._hand_over(None)
            await self._close_raw(connection.raw)

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement on a pooled connection (a write waits for the write lock)."""
        try:
            return await self._execute_on_pool(sql, params)
        except ReadOnlyConnectionError:
            # The file was read-only when that connection opened; it may be writable now.
            # Idle connections may date from the same time: reopen them all and try once
            # more. If the file is still read-only, this fails the same way.
            await self._retire_idle()
            return await self._execute_on_pool(sql, params)

    # -- inspection ------------------------------------------------------------------

    @property
    def available(self) -> list[PooledConnection]:
        """The idle connections, ready to lend."""
        return [slot for slot in self._idle if slot is not None]

    @property
    def waiting(self) -> int:
        """Tasks waiting for a connection now."""
        return self._line.waiting

    # -- internals -------------------------------------------------------------------

    async def _end_transaction(self, connection: SQLiteConnection) -> None:
        """Roll back what the borrower left open: it would hold SQLite's write lock."""
        interrupted, connection.interrupted = connection.interrupted, False
        if not interrupted and not connection.in_transaction:
            return
        # After a cancelled statement this queues behind it on the connection's thread,
        # so it sees (and undoes) whatever that statement opened.
        try:
            await connection.raw.rollback()
        except (sqlite3.Error, ValueError):
            connection.broken = True

    async def _execute_on_pool(self, sql: str, params: QueryParams) -> QueryResult:
        connection = await self.acquire()
        try:
            return await connection.execute(sql, params)
        finally:
            await self.release(connection)

    def _hand_over(self, slot: _Slot) -> None:
        """Give a slot to the longest waiter, or put it back on the idle stack."""
        if not self._line.serve(slot):
            self._idle.append(slot)

    async def _retire_idle(self) -> None:
        """Close every idle connection; their places reopen on demand."""
        retired = [slot for slot in self._idle if slot is not None]
        self._idle = [None] * len(self._idle)
        self.replaced += len(retired)
        await asyncio.gather(*(self._close_raw(connection.raw) for connection in retired))

    async def _replace(self, slot: _Slot) -> SQLiteConnection:
        if slot is not None:
            self.replaced += 1
            await self._close_raw(slot.raw)
        return await self._new_connection()

    async def _new_connection(self) -> SQLiteConnection:
        return SQLiteConnection(await self._connect(), self._writes)

    async def _connect(self) -> aiosqlite.Connection:
        raw = await aiosqlite.connect(self._database, uri=not self._is_file, isolation_level=None)
        try:
            raw.row_factory = sqlite3.Row
            await raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self._is_file:
                await _use_wal(raw)
                # NORMAL in WAL mode survives a crashed process; only power loss may drop
                # the last commits, which is the trade-off every WAL deployment makes.
                await raw.execute("PRAGMA synchronous = NORMAL")
            await raw.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            # Its worker thread would otherwise outlive the pool, and keep the process from
            # exiting: aiosqlite's threads are not daemons.
            await self._close_raw(raw)
            raise
        return raw

    async def _close_raw(self, raw: aiosqlite.Connection) -> None:
        try:
            await asyncio.wait_for(raw.close(), timeout=self.close_timeout)
        except (TimeoutError, sqlite3.Error, ValueError) as error:
            logger.warning("could not close a SQLite connection cleanly: %s", error)
            raw.stop()
