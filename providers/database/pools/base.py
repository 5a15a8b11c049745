"""What both pools share: the connection record, the errors, and fair, bounded borrowing."""

import abc
import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from providers.errors import ServiceNotReadyError, WireworkError

logger = logging.getLogger(__name__)

QueryParams = Mapping[str, Any] | Sequence[Any] | None
QueryResult = dict[str, Any]

# EXPLAIN is left out: PostgreSQL's EXPLAIN ANALYZE runs the statement it explains.
_READ_ONLY_WORDS = frozenset({"SELECT", "VALUES", "SHOW"})
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*([A-Za-z]*)", re.DOTALL)
_RECORD_KEYS = frozenset({"id", "created_at", "last_used", "query_count"})
_connection_numbers = itertools.count(1)


class PoolTimeoutError(WireworkError, TimeoutError):
    """Every connection stayed in use for the whole acquire timeout."""


class PoolClosedError(ServiceNotReadyError):
    """The pool was closed (or never opened) when a connection was asked for."""


class DatabaseStorageError(WireworkError, RuntimeError):
    """The storage refused a statement (read-only, full or failing), which changed nothing."""


class ConstraintViolationError(WireworkError, ValueError):
    """A write broke a constraint of the schema; nothing was written. Both pools raise it alike,
    naming the `table`, `columns` and `constraint` when the driver says them, never values."""

    code: ClassVar[str] = "constraint_violation"
    sentence: ClassVar[str] = "the write breaks the constraint {target}"

    def __init__(self, table: str, columns: tuple[str, ...] = (), constraint: str = "") -> None:
        self.table, self.columns, self.constraint = table, columns, constraint
        target = f"{table}({', '.join(columns)})" if columns else constraint or table
        super().__init__(self.sentence.format(target=target, key=f" {target}" if target else ""))


class UniqueViolationError(ConstraintViolationError):
    code = "unique_violation"
    sentence = "duplicate value for {target}: it must be unique"


class ForeignKeyViolationError(ConstraintViolationError):
    code = "foreign_key_violation"
    sentence = (
        "the write breaks the foreign key{key}: the row it refers to does not exist, "
        "or other rows still refer to the row it changes"
    )


class CheckViolationError(ConstraintViolationError):
    code = "check_violation"
    sentence = "a value fails the check {target}"


class NotNullViolationError(ConstraintViolationError):
    code = "not_null_violation"
    sentence = "{target} is required: it must not be null"


def is_read_only(sql: str) -> bool:
    """Whether a statement surely only reads (its first keyword), so it may skip SQLite's
    write lock or be retried; `WITH`, which may write, counts as a write."""
    match = _FIRST_WORD.match(sql)
    return match is not None and match.group(1).upper() in _READ_ONLY_WORDS


class PooledConnection:
    """A connection a pool lends out, with `id`, `created_at`, `last_used`, `query_count`."""

    def __init__(self, prefix: str) -> None:
        self.id = f"{prefix}-{next(_connection_numbers)}"
        self.created_at = time.time()
        self.last_used: float | None = None
        self.query_count = 0

    # Compatibility surface only: tests written against a record read `conn["id"]`.
    def __getitem__(self, key: str) -> Any:
        if key not in _RECORD_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in _RECORD_KEYS

    def _mark_used(self) -> None:
        self.query_count += 1
        self.last_used = time.time()

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement: `{"rows": [dict, ...], "affected": n}`."""
        raise NotImplementedError


ConnectionT = TypeVar("ConnectionT", bound=PooledConnection)


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """How many connections a pool holds and how long it waits (the settings validate them)."""

    min_size: int
    max_size: int
    acquire_timeout: float
    close_timeout: float
    connect_timeout: float  # this one and the next two bound PostgreSQL only
    query_timeout: float
    max_inactive_connection_lifetime: float


class ConnectionPool(abc.ABC, Generic[ConnectionT]):
    """Lends at most `max_size` connections, first come first served, and counts borrowings;
    a driver's pool says how a connection is lent (`_lend`) and taken back (`_give_back`)."""

    dialect: ClassVar[str]

    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self.is_open = False
        self._free = limits.max_size  # places nobody holds or waits for
        self._line: deque[tuple[float, asyncio.Future[None]]] = deque()  # (deadline, waiter)
        self._timer: asyncio.TimerHandle | None = None
        self._in_use: set[ConnectionT] = set()
        self._drained = asyncio.Event()  # set by the last release while the pool closes
        self.acquired = self.peak_in_use = self.timeouts = self.replaced = 0

    @abc.abstractmethod
    async def open(self) -> None:
        """Open `min_size` connections."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every connection, waiting at most `close_timeout` for borrowed ones."""

    @property
    @abc.abstractmethod
    def available(self) -> list[ConnectionT]:
        """The idle connections, ready to lend."""

    @property
    def in_use(self) -> list[ConnectionT]:
        return list(self._in_use)

    @property
    def waiting(self) -> int:
        """Borrowers in line now (a cancelled one leaves its done future behind)."""
        return sum(not waiter.done() for _, waiter in self._line)

    async def acquire(self) -> ConnectionT:
        """Borrow a connection, waiting behind every earlier borrower up to `acquire_timeout`."""
        if not self.is_open:
            raise PoolClosedError("Database service not initialized")
        if self._free and not self._line:
            self._free -= 1
        else:
            loop = asyncio.get_running_loop()
            waiter = loop.create_future()
            deadline = loop.time() + self.limits.acquire_timeout
            self._line.append((deadline, waiter))
            if self._timer is None:
                self._timer = loop.call_at(deadline, self._time_out)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._give_place()  # handed a place, then cancelled: pass it on
                raise
        try:
            connection = await self._lend()
        except BaseException:
            self._give_place()
            raise
        self._in_use.add(connection)
        self.acquired += 1
        self.peak_in_use = max(self.peak_in_use, len(self._in_use))
        return connection

    async def release(self, connection: ConnectionT) -> None:
        """Give a borrowed connection back; releasing one twice is a ValueError."""
        if connection not in self._in_use:
            if self.is_open:
                raise ValueError(
                    f"connection {connection.id} is not checked out from this pool "
                    "(released twice?)"
                )
            return  # close() already closed it
        self._in_use.discard(connection)
        try:
            await self._give_back(connection)
        finally:
            self._give_place()
            if not self.is_open and not self._in_use:
                self._drained.set()

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement on a connection borrowed for it; once more if the pool recovered
        from the error and the statement is safe to repeat."""
        retried = False
        while True:
            connection = await self.acquire()
            try:
                return await connection.execute(sql, params)
            except Exception as error:
                if retried or not await self._recover(error, sql):
                    raise
                retried = True
            finally:
                await self.release(connection)

    def _start(self) -> None:
        self._free = self.limits.max_size
        self.is_open = True

    async def _stop(self) -> None:
        """Turn borrowers away (every waiter gets `PoolClosedError`), then wait at most
        `close_timeout` for the borrowed connections to come back."""
        self.is_open = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._line:
            waiter = self._line.popleft()[1]
            if not waiter.done():
                waiter.set_exception(PoolClosedError("Database service was closed"))
        if self._in_use:
            # asyncio's primitives are bound to one event loop: a reopened pool may run on another.
            self._drained = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), self.limits.close_timeout)
        if self._in_use:
            logger.warning(
                "closing %d database connections still in use after %.1fs",
                len(self._in_use),
                self.limits.close_timeout,
            )

    def _give_place(self) -> None:
        """Hand a freed place to the longest waiter, or keep it for the next borrower."""
        while self._line:
            waiter = self._line.popleft()[1]
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def _time_out(self) -> None:
        """Fail the waiters whose deadline passed. The line is in deadline order, so one timer
        serves it: a timer per waiter costs a heap push and a cancel on every wait."""
        loop = asyncio.get_running_loop()
        now = loop.time() + 0.001  # asyncio may run a timer up to its clock resolution early
        while self._line and self._line[0][0] <= now:
            waiter = self._line.popleft()[1]
            if not waiter.done():
                self.timeouts += 1
                waiter.set_exception(
                    PoolTimeoutError(
                        f"no database connection free after {self.limits.acquire_timeout}s: "
                        f"all {self.limits.max_size} connections of the pool are in use, by "
                        "long statements or waiting on a server that does not answer (if the "
                        "server is healthy, raise database.max_size or database.acquire_timeout)"
                    )
                )
        self._timer = loop.call_at(self._line[0][0], self._time_out) if self._line else None

    async def _recover(self, error: Exception, sql: str) -> bool:
        """After `error`, repair what it revealed; True if `sql` may then run once more."""
        return False

    @abc.abstractmethod
    async def _lend(self) -> ConnectionT:
        """A connection for a borrower that holds a place in line."""

    @abc.abstractmethod
    async def _give_back(self, connection: ConnectionT) -> None:
        """Take a returned connection back: keep it, or retire it."""
