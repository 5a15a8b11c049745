"""A fair, bounded pool of aiosqlite connections, one worker thread each. Writes, whichever
way they come, queue on one lock per pool: SQLite allows one writer anyway, and the event
loop queues them more cheaply and fairly than SQLite's busy handler."""

import asyncio
import logging
import sqlite3
import time
import uuid
from pathlib import Path

import aiosqlite

from providers.database.pools.base import ConnectionPool, PoolLimits
from providers.database.pools.sqlite_connection import (
    ReadOnlyConnectionError,
    SQLiteConnection,
    WriteLock,
)
from providers.errors import ServiceStartError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000


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
    def available(self) -> list[SQLiteConnection]:
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
