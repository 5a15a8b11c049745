"""What every pool hands out and raises, whichever database driver is behind it."""

import itertools
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, Protocol, TypeVar

from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError, WireworkError

QueryParams = Mapping[str, Any] | Sequence[Any] | None
QueryResult = dict[str, Any]

# EXPLAIN is left out: PostgreSQL's EXPLAIN ANALYZE runs the statement it explains.
_READ_ONLY_WORDS = frozenset({"SELECT", "VALUES", "SHOW"})
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_WORD = re.compile(r"[A-Za-z]+")
_METADATA_KEYS = ("id", "created_at", "last_used", "query_count")
_connection_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """How many connections a pool may hold and how long it waits; checked when built."""

    min_size: int = 1
    max_size: int = 5
    acquire_timeout: float = 5.0
    close_timeout: float = 5.0

    def __post_init__(self) -> None:
        if self.max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {self.max_size}")
        if not 0 <= self.min_size <= self.max_size:
            raise ValueError(
                f"min_size must be between 0 and max_size ({self.max_size}), got {self.min_size}"
            )
        positive_seconds("acquire_timeout", self.acquire_timeout, infinite=True)


class PoolTimeoutError(WireworkError, TimeoutError):
    """Every connection stayed in use for the whole acquire timeout."""


class PoolClosedError(ServiceNotReadyError):
    """The pool was closed (or never opened) when a connection was asked for."""


class DatabaseStorageError(WireworkError, RuntimeError):
    """The database's storage refused a statement: it is read-only, full or failing.

    The statement changed nothing. Fix the storage (permissions, an immutable flag, a
    read-only mount, free space); the pool reconnects by itself once it works again.
    """


class UniqueViolationError(WireworkError, ValueError):
    """A write collided with a unique constraint; nothing was written.

    Raised by both pools alike, so a repository needs no per-driver code to answer 409.
    `columns` names the constrained columns (never the values), when the driver says them.
    """

    def __init__(self, table: str, columns: tuple[str, ...], constraint: str = "") -> None:
        target = f"{table}({', '.join(columns)})" if columns else constraint or table
        super().__init__(f"duplicate value for {target}: it must be unique")
        self.table = table
        self.columns = columns
        self.constraint = constraint


@lru_cache(maxsize=1024)
def is_read_only(sql: str) -> bool:
    """Whether a statement surely only reads: it may skip SQLite's write lock, or be retried.

    Only the first keyword after comments counts; anything unsure (`WITH`, which may
    write, `PRAGMA`, `EXPLAIN`) counts as a write. Rows are fetched either way.
    """
    word = _WORD.match(sql, _LEADING_NOISE.match(sql).end())  # type: ignore[union-attr]
    return word is not None and word.group(0).upper() in _READ_ONLY_WORDS


def pool_timeout_error(max_size: int, timeout: float) -> PoolTimeoutError:
    """The one message for an exhausted pool, naming its size and the timeout."""
    return PoolTimeoutError(
        f"no database connection free after {timeout}s: all {max_size} connections of the "
        "pool are in use (raise database.max_size or database.acquire_timeout)"
    )


class PooledConnection(Mapping[str, Any]):
    """A borrowed connection plus the metadata the guide reads (`conn["id"]`, …).

    Equality is identity, so `conn in pool["available"]` asks about this connection.
    """

    def __init__(self, prefix: str) -> None:
        self.id = f"{prefix}-{next(_connection_numbers)}"
        self.created_at = time.time()
        self.last_used: float | None = None
        self.query_count = 0

    def __getitem__(self, key: str) -> Any:
        if key not in _METADATA_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_METADATA_KEYS)

    def __len__(self) -> int:
        return len(_METADATA_KEYS)

    # Identity, as `object` has it (Mapping would compare contents and be unhashable).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} queries={self.query_count}>"

    def _mark_used(self) -> None:
        self.query_count += 1
        self.last_used = time.time()

    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement: `{"rows": [dict, ...], "affected": n}`."""
        raise NotImplementedError


class ConnectionPool(Protocol):
    """The pool interface `DatabaseService` drives, one implementation per driver."""

    dialect: str
    min_size: int
    max_size: int
    acquired: int
    peak_in_use: int
    """The most connections ever borrowed at once: never above `max_size`."""
    timeouts: int
    replaced: int

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def acquire(self) -> PooledConnection: ...
    async def release(self, connection: PooledConnection) -> None: ...
    async def execute(self, sql: str, params: QueryParams = None) -> QueryResult: ...

    @property
    def available(self) -> list[PooledConnection]: ...
    @property
    def in_use(self) -> list[PooledConnection]: ...
    @property
    def waiting(self) -> int: ...


ConnectionT = TypeVar("ConnectionT", bound=PooledConnection)


class PoolBookkeeping(Generic[ConnectionT]):
    """What both pools count the same way: who is borrowed, the high-water mark, timeouts."""

    def __init__(self, limits: PoolLimits) -> None:
        self.min_size, self.max_size = limits.min_size, limits.max_size
        self.acquire_timeout, self.close_timeout = limits.acquire_timeout, limits.close_timeout
        self._in_use: set[ConnectionT] = set()
        self.acquired = 0
        self.peak_in_use = 0
        self.timeouts = 0
        self.replaced = 0

    @property
    def in_use(self) -> list[PooledConnection]:
        return list(self._in_use)

    def _checked_out(self, connection: ConnectionT) -> ConnectionT:
        self._in_use.add(connection)
        self.acquired += 1
        self.peak_in_use = max(self.peak_in_use, len(self._in_use))
        return connection

    def _checked_in(self, connection: ConnectionT, *, closed: bool) -> bool:
        """Forget a returned connection; False when `close()` already took care of it."""
        if connection in self._in_use:
            self._in_use.discard(connection)
            return True
        if closed:
            return False
        raise ValueError(
            f"connection {connection.id} is not checked out from this pool (released twice?)"
        )

    def _timed_out(self) -> PoolTimeoutError:
        self.timeouts += 1
        return pool_timeout_error(self.max_size, self.acquire_timeout)
