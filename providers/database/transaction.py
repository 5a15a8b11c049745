"""`async with db.transaction() as tx:` statements that commit or roll back together, with
the same SQL on both dialects (SQLite's `BEGIN IMMEDIATE` takes the write lock up front)."""

import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any, Literal, get_args

from providers.database.pools.base import ConnectionPool, PooledConnection, QueryParams, QueryResult
from providers.errors import WireworkError

IsolationLevel = Literal["read_committed", "repeatable_read", "serializable"]


class TransactionClosedError(WireworkError, RuntimeError):
    """A statement was sent to a transaction outside its `async with` block."""


class TransactionAbortedError(WireworkError, RuntimeError):
    """A statement inside the transaction failed, so it was rolled back, as PostgreSQL does;
    run a statement that may fail in `tx.savepoint()` to go on after it."""


class Transaction:
    """One transaction on one pooled connection, usable only inside its `async with` block;
    `counts` tallies the service's transactions by state."""

    _savepoint_numbers = itertools.count(1)

    def __init__(
        self, pool: ConnectionPool[Any], counts: Counter[str], isolation: IsolationLevel | None
    ) -> None:
        if isolation is not None and isolation not in (levels := get_args(IsolationLevel)):
            raise ValueError(
                f"unknown isolation level {isolation!r}: use one of {', '.join(levels)}"
            )
        level = f" ISOLATION LEVEL {isolation.replace('_', ' ').upper()}" if isolation else ""
        # SQLite is always serializable: one writer at a time, readers see a snapshot.
        self._begin = "BEGIN IMMEDIATE" if pool.dialect == "sqlite" else f"BEGIN{level}"
        self._pool = pool
        self._counts = counts
        self._connection: PooledConnection  # set while open
        self._failure: BaseException | None = None
        self._state = "not started"

    async def __aenter__(self) -> "Transaction":
        if self._state != "not started":
            raise TransactionClosedError(
                f"this transaction is {self._state}: open a new one with db.transaction()"
            )
        connection = await self._pool.acquire()
        try:
            await connection.execute(self._begin)
        except BaseException:
            await self._pool.release(connection)
            raise
        self._connection, self._state = connection, "open"
        self._counts["open"] += 1
        return self

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        failure = exc if exc is not None else self._failure
        self._state = "rolled back"
        try:
            if failure is None:
                await self._connection.execute("COMMIT")
                self._state = "committed"
            else:
                with contextlib.suppress(Exception):  # the body's error is the one to see
                    await self._connection.execute("ROLLBACK")
        finally:
            self._counts["open"] -= 1
            self._counts[self._state] += 1
            # Also rolls back whatever a failed COMMIT or a cancelled ROLLBACK left open.
            await self._pool.release(self._connection)
        if exc is None and failure is not None:
            raise TransactionAbortedError(
                f"transaction rolled back: a statement in it failed ({failure!r}); run a "
                "statement that may fail inside `async with tx.savepoint():` to go on after it"
            ) from failure

    @property
    def state(self) -> str:
        """'not started', 'open', 'committed' or 'rolled back'."""
        return self._state

    async def execute_query(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement inside the transaction: the same binding and result as the service."""
        if self._state != "open":
            raise TransactionClosedError(
                f"this transaction is {self._state}: run statements inside its "
                "`async with db.transaction() as tx:` block"
            )
        try:
            return await self._connection.execute(sql, params)
        except Exception as error:
            self._failure = error
            raise

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator["Transaction"]:
        """`async with tx.savepoint():` undoes only its own statements when its body raises;
        catch the error outside the block and the transaction goes on."""
        name = f"wirework_savepoint_{next(self._savepoint_numbers)}"
        failure_before = self._failure
        await self.execute_query(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            await self.execute_query(f"ROLLBACK TO SAVEPOINT {name}")
            self._failure = failure_before
            raise
        finally:
            await self.execute_query(f"RELEASE SAVEPOINT {name}")
