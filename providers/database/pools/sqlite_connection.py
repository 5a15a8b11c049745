"""One aiosqlite connection lent by the SQLite pool, SQLite's errors in the pools' terms, and the
write lock its connections share."""

import asyncio
import sqlite3
from typing import Any

import aiosqlite

from providers.database.pools.base import (
    CheckViolationError,
    ConstraintViolationError,
    DatabaseStorageError,
    ForeignKeyViolationError,
    NotNullViolationError,
    PooledConnection,
    QueryParams,
    QueryResult,
    UniqueViolationError,
    is_read_only,
)
from providers.errors import DatabaseConnectionLostError, WireworkError

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
