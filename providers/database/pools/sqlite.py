"""A fair, bounded pool of aiosqlite connections, one worker thread each. Writes, whichever
way they come, queue on one lock per pool: SQLite allows one writer anyway, and the event
loop queues them more cheaply and fairly than SQLite's busy handler."""

import asyncio
import logging
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import aiosqlite

from providers.database.pools.base import (
    CheckViolationError,
    ConnectionPool,
    ConstraintViolationError,
    DatabaseStorageError,
    ForeignKeyViolationError,
    NotNullViolationError,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
    UniqueViolationError,
    is_read_only,
)
from providers.errors import DatabaseConnectionLostError, ServiceStartError, WireworkError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
# Result codes (and their extended forms) that mean the file or disk refused.
_STORAGE_FAILURES = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN")


class WriteOrderError(WireworkError, RuntimeError):
    """A task that holds SQLite's write lock asked for it again through another connection,
    where it would wait for itself forever."""


class ReadOnlyConnectionError(DatabaseStorageError):
    """The connection was opened while the file was read-only, and stays read-only."""


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


def _constraint_violation(error: sqlite3.IntegrityError) -> ConstraintViolationError | None:
    """The typed error for 'UNIQUE constraint failed: notes.owner_id, notes.title' and kin."""
    kind, _, targets = str(error).partition(" constraint failed")
    targets = targets.removeprefix(": ")
    if kind == "FOREIGN KEY":
        return ForeignKeyViolationError("")
    if kind == "CHECK":
        return CheckViolationError("", constraint=targets)
    violation = {"UNIQUE": UniqueViolationError, "NOT NULL": NotNullViolationError}.get(kind)
    if violation is None or not targets:
        return None
    names = [name.strip() for name in targets.split(",")]
    return violation(names[0].partition(".")[0], tuple(n.partition(".")[2] for n in names))


class SQLiteConnection(PooledConnection):
    """One aiosqlite connection (and its worker thread) lent out by `SQLitePool`."""

    def __init__(self, raw: aiosqlite.Connection, writes: WriteLock) -> None:
        super().__init__("sqlite")
        self.raw = raw
        self.broken = False
        self.interrupted = False  # cancelled while its worker thread may still run a statement
        self._writes = writes

    @property
    def is_usable(self) -> bool:
        """False once the connection broke or was closed underneath us."""
        try:
            _ = self.raw.in_transaction  # raises ValueError once aiosqlite closed it
        except ValueError:
            return False
        return not self.broken

    @property
    def in_transaction(self) -> bool:
        return self.is_usable and self.raw.in_transaction

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement; a write holds the pool's write lock until its transaction ends."""
        if self._writes.holder is not self:
            if is_read_only(sql):
                return await self._run(sql, params)
            await self._writes.acquire(self)
        try:
            return await self._run(sql, params)
        except asyncio.CancelledError:
            # The thread finishes the statement anyway: the pool's release rolls back behind
            # it and only then frees the lock, so no second writer starts beside it.
            self.interrupted = True
            raise
        finally:
            if not self.interrupted and not self.in_transaction:
                self._writes.release(self)

    async def _run(self, sql: str, params: QueryParams) -> QueryResult:
        self._mark_used()
        try:
            # Writers are serialised, so the change is this statement's, `WITH … INSERT` too.
            before = self.raw.total_changes
            rows = [dict(row) for row in await self.raw.execute_fetchall(sql, params)]
            return {"rows": rows, "affected": self.raw.total_changes - before}
        except ValueError as error:  # aiosqlite's "Connection closed": the link is gone
            self.broken = True
            raise DatabaseConnectionLostError(f"SQLite connection {self.id} is closed") from error
        except sqlite3.ProgrammingError:
            self.broken = not self.is_usable
            raise
        except sqlite3.IntegrityError as error:
            violation = _constraint_violation(error)
            if violation is None:
                raise
            raise violation from error
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorname", "")
            if not code.startswith(_STORAGE_FAILURES):
                raise
            message = f"SQLite refused the statement: {error} ({code})"
            if code.startswith("SQLITE_READONLY"):  # opened read-only, it stays so: retire it
                self.broken = True
                raise ReadOnlyConnectionError(message) from error
            raise DatabaseStorageError(message) from error


async def _use_wal(raw: aiosqlite.Connection) -> None:
    """Switch the file to WAL, waiting up to the busy timeout for other openers: SQLite's busy
    handler does not wait for the exclusive lock the switch needs."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await raw.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            busy = getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.005)


class SQLitePool(ConnectionPool[SQLiteConnection]):
    """Hands out at most `max_size` connections, first come first served."""

    dialect = "sqlite"

    def __init__(self, url: str | None, limits: PoolLimits) -> None:
        super().__init__(limits)
        if url is None or url in ("sqlite:///:memory:", "sqlite://"):
            # memdb is shared by every connection that opens the same name in this process,
            # with real locking (unlike shared-cache mode); it vanishes with the last one.
            self._database, self._is_file = f"file:/wirework-{uuid.uuid4().hex}?vfs=memdb", False
        else:
            self._database, self._is_file = url.removeprefix("sqlite:///"), True
        self._idle: list[SQLiteConnection] = []
        self._writes = WriteLock()
        self._keeper: aiosqlite.Connection | None = None  # keeps a memory database alive

    async def open(self) -> None:
        """Open `min_size` connections; a memory database also gets a keeper connection."""
        # asyncio's primitives are bound to one event loop: a reopened pool may run on another.
        self._writes = WriteLock()
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
            self._keeper = await self._connect()
        self._start()
        try:
            if self._is_file:
                # Opened here, a missing file's error reaches us; aiosqlite would report it
                # from a thread it does not wait for, to a loop that may be closed by then.
                await asyncio.to_thread(lambda: sqlite3.connect(self._database).close())
            for _ in range(self.limits.min_size):
                self._idle.append(SQLiteConnection(await self._connect(), self._writes))
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
        await self._stop()
        connections = [connection.raw for connection in [*self._idle, *self._in_use]]
        self._idle.clear()
        self._in_use.clear()
        # SQLite folds the WAL back into the file when the last connection closes; connections
        # closing together can each see another still open, so the last one closes alone.
        last = connections.pop() if connections else None
        await asyncio.gather(*(self._close(raw) for raw in connections))
        for raw in (last, self._keeper):
            if raw is not None:
                await self._close(raw)
        self._keeper = None

    @property
    def available(self) -> list[PooledConnection]:
        return list(self._idle)

    async def _recover(self, error: Exception, sql: str) -> bool:
        """A connection opened while the file was read-only stays so, and idle ones may date
        from then too: reopen them all, then the statement (which changed nothing) runs again."""
        if not isinstance(error, ReadOnlyConnectionError):
            return False
        retired, self._idle = self._idle, []
        self.replaced += len(retired)
        await asyncio.gather(*(self._close(connection.raw) for connection in retired))
        return True

    async def _lend(self) -> SQLiteConnection:
        """The most recently used idle connection, or a new one if none is left usable."""
        while self._idle:
            connection = self._idle.pop()
            if connection.is_usable:
                return connection
            self.replaced += 1
            await self._close(connection.raw)
        return SQLiteConnection(await self._connect(), self._writes)

    async def _give_back(self, connection: SQLiteConnection) -> None:
        """Roll back what the borrower left open (it would hold SQLite's write lock), free the
        lock, then keep the connection, or close it if it broke or the pool is closing."""
        interrupted, connection.interrupted = connection.interrupted, False
        try:
            if interrupted or connection.in_transaction:
                # After a cancelled statement this queues behind it on the connection's thread.
                await connection.raw.rollback()
        except (sqlite3.Error, ValueError):
            connection.broken = True
        finally:
            self._writes.release(connection)
        if self.is_open and connection.is_usable:
            self._idle.append(connection)
            return
        if self.is_open:
            self.replaced += 1
        await self._close(connection.raw)

    async def _connect(self) -> aiosqlite.Connection:
        """Open one connection with the pool's pragmas: WAL for a file, a busy timeout, foreign
        keys."""
        raw = await aiosqlite.connect(self._database, uri=not self._is_file, isolation_level=None)
        try:
            raw.row_factory = sqlite3.Row
            await raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self._is_file:
                await _use_wal(raw)
                # In WAL mode NORMAL survives a crashed process; only power loss may drop commits.
                await raw.execute("PRAGMA synchronous = NORMAL")
            await raw.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            # aiosqlite's worker threads are not daemons: an unclosed one keeps the process alive.
            await self._close(raw)
            raise
        return raw

    async def _close(self, raw: aiosqlite.Connection) -> None:
        """Close a connection within `close_timeout`; one that will not close is stopped."""
        try:
            await asyncio.wait_for(raw.close(), self.limits.close_timeout)
        except (TimeoutError, sqlite3.Error, ValueError) as error:
            logger.warning("could not close a SQLite connection cleanly: %s", error)
            raw.stop()
