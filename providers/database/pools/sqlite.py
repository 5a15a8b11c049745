"""A fair, bounded pool of aiosqlite connections, one worker thread each.

Writes, whichever way they come, are serialised by one lock per pool: SQLite allows one
writer anyway, and queueing writers on the event loop is cheaper and fairer than letting
them spin in SQLite's busy handler (which still guards against other processes).
"""

import asyncio
import contextlib
import logging
import sqlite3
import uuid
from pathlib import Path

import aiosqlite

from providers.database.pools.base import (
    ConnectionPool,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
)
from providers.database.pools.sqlite_connection import (
    ReadOnlyConnectionError,
    SQLiteConnection,
    WriteLock,
    close,
    connect,
)
from providers.errors import ServiceStartError

logger = logging.getLogger(__name__)


def sqlite_target(url: str | None) -> tuple[str, bool]:
    """Map a `sqlite:///…` URL to (database, is_file); memory gets a private shared name."""
    if url is None or url in ("sqlite:///:memory:", "sqlite://"):
        # memdb is shared by every connection that opens the same name in this process,
        # with real locking (unlike shared-cache mode); it vanishes with the last one.
        return f"file:/wirework-{uuid.uuid4().hex}?vfs=memdb", False
    return url.removeprefix("sqlite:///"), True


def _probe(database: str) -> None:
    """Raise if the file cannot be opened; aiosqlite would report it from a thread it does not
    wait for, to an event loop that may be closed by then."""
    sqlite3.connect(database).close()


class SQLitePool(ConnectionPool[SQLiteConnection]):
    """Hands out at most `max_size` connections, first come first served."""

    dialect = "sqlite"

    def __init__(self, url: str | None, limits: PoolLimits) -> None:
        super().__init__(limits)
        self._database, self._is_file = sqlite_target(url)
        self._idle: list[SQLiteConnection] = []
        self._drained = asyncio.Event()
        self._writes = WriteLock()
        self._keeper: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Open `min_size` connections; a memory database also gets a keeper connection."""
        # asyncio's primitives are bound to one event loop: a reopened pool may run on another.
        self._drained, self._writes = asyncio.Event(), WriteLock()
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
        else:  # keeps the memory database alive while the pool holds no connection
            self._keeper = await self._connect()
        self._start()
        try:
            if self._is_file:
                await asyncio.to_thread(_probe, self._database)
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
        self._stop()
        if self._in_use:
            self._drained.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), self.limits.close_timeout)
        if self._in_use:
            logger.warning(
                "closing %d connections still in use after %.1fs",
                len(self._in_use),
                self.limits.close_timeout,
            )
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

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement on a pooled connection (a write waits for the write lock)."""
        try:
            return await super().execute(sql, params)
        except ReadOnlyConnectionError:
            # The file was read-only when that connection opened and may be writable now;
            # idle ones may date from then too. Reopen them all and try once more.
            retired, self._idle = self._idle, []
            self.replaced += len(retired)
            await asyncio.gather(*(self._close(connection.raw) for connection in retired))
            return await super().execute(sql, params)

    @property
    def available(self) -> list[PooledConnection]:
        return list(self._idle)

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
        try:
            await self._end_transaction(connection)
        finally:
            self._writes.release(connection)
        if not self.is_open:  # close() is waiting for this one
            await self._close(connection.raw)
            if not self._in_use:
                self._drained.set()
        elif connection.is_usable:
            self._idle.append(connection)
        else:
            self.replaced += 1
            await self._close(connection.raw)

    async def _end_transaction(self, connection: SQLiteConnection) -> None:
        """Roll back what the borrower left open: it would hold SQLite's write lock."""
        interrupted, connection.interrupted = connection.interrupted, False
        if not interrupted and not connection.in_transaction:
            return
        # After a cancelled statement this queues behind it on the connection's thread.
        try:
            await connection.raw.rollback()
        except (sqlite3.Error, ValueError):
            connection.broken = True

    async def _connect(self) -> aiosqlite.Connection:
        return await connect(self._database, is_file=self._is_file)

    async def _close(self, raw: aiosqlite.Connection) -> None:
        await close(raw, timeout=self.limits.close_timeout)
