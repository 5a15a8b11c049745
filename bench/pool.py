"""Pool: acquire + `SELECT 1` + release from 50 concurrent tasks, on SQLite and PostgreSQL.

Every contender fetches the row and hands it back as Wirework's pools do, a list of dicts
(a pool that skipped reading the result, or built less, would win for the wrong reason);
on PostgreSQL one more row shows the bare pool returning asyncpg's Records as they come,
so what building dicts costs is measured apart from what the pool costs. A round lets
the 50 tasks borrow for a fixed time and reports operations per second. The growth rows
do the same with 1,000 borrowers queueing for the same 5 connections, Wirework beside
the bare pool (the limit).
"""

import asyncio
import itertools
import os
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.harness import (
    BenchmarkResult,
    Closer,
    Options,
    compare_async,
    for_seconds,
    run_async,
    timed,
)

TASKS = 50
MANY_TASKS = 1_000
POOL_SIZE = 5
ACQUIRE_TIMEOUT = 120.0
"""Long enough for 1,000 borrowers queueing on a loaded machine: this measures throughput."""
WIREWORK = "wirework DatabaseService"

Operation = Callable[[], Awaitable[Any]]

POSTGRES_GAP = (
    "per statement Wirework has asyncpg arm two timers the bare pool goes without (the query "
    "timeout, and the reset's on release), and adds its first-come line with a deadline per "
    "waiter, the per-connection figures of /api/stats and the check on release for a link "
    "dropped while borrowed; the Records row shows the dict rows are not the gap"
)
SQLITE_GAP = (
    "per statement Wirework adds its first-come line with a deadline per waiter, the check "
    "that lets a read skip SQLite's write lock, the per-connection figures of /api/stats and "
    "a usability check on lend and on release"
)
SINGLE_GAP = (
    "one connection runs the 50 tasks' statements back to back on its one worker thread; a pool "
    "lends a connection to one borrower at a time (transactions need that), so no pool of "
    "per-connection threads reaches it: the bare queue of five is the limit that matters"
)
BARE_QUEUE = "bare asyncio.Queue of 5 aiosqlite (limit)"
SINGLE = "one raw aiosqlite connection"
SQLALCHEMY = "SQLAlchemy async engine, pool 5"
BARE_ASYNCPG = "bare asyncpg pool of 5, dict rows (limit)"
RECORDS = "bare asyncpg pool of 5, Records as returned"


async def _open_service(url: str) -> Any:
    """Wirework's `DatabaseService` on `url`, opened, with the same pool size as the peers."""
    from providers.database import DatabaseService  # noqa: PLC0415

    service = DatabaseService(
        url,
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        acquire_timeout=ACQUIRE_TIMEOUT,
        migrate=False,
    )
    await service.initialize()
    return service


async def _wirework(url: str) -> tuple[Operation, Closer]:
    service = await _open_service(url)

    async def operation() -> Any:
        async with service.get_connection_context() as connection:
            return await connection.execute("SELECT 1")

    return operation, service.close


async def _sqlalchemy(url: str) -> tuple[Operation, Closer]:
    from sqlalchemy import text  # noqa: PLC0415 (a bench extra)
    from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415
    from sqlalchemy.pool import AsyncAdaptedQueuePool  # noqa: PLC0415

    engine = create_async_engine(
        url, poolclass=AsyncAdaptedQueuePool, pool_size=POOL_SIZE, max_overflow=0
    )
    select_one = text("SELECT 1")

    async def operation() -> Any:
        async with engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(select_one)).mappings()]

    return operation, engine.dispose


async def _aiosqlite(path: str) -> Any:
    """A raw aiosqlite connection whose rows become dicts as Wirework's do (`sqlite3.Row`)."""
    import aiosqlite  # noqa: PLC0415

    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


async def _bare_queue(path: str) -> tuple[Operation, Closer]:
    connections = [await _aiosqlite(path) for _ in range(POOL_SIZE)]
    idle: asyncio.Queue[Any] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)

    async def operation() -> Any:
        connection = await idle.get()
        try:
            return [dict(row) for row in await connection.execute_fetchall("SELECT 1")]
        finally:
            idle.put_nowait(connection)

    async def close() -> None:
        for connection in connections:
            await connection.close()

    return operation, close


async def _single(path: str) -> tuple[Operation, Closer]:
    connection = await _aiosqlite(path)

    async def operation() -> Any:
        return [dict(row) for row in await connection.execute_fetchall("SELECT 1")]

    return operation, connection.close


async def _asyncpg(
    url: str, sql: str, args: Callable[[], tuple[Any, ...]], dicts: bool
) -> tuple[Operation, Closer]:
    """A bare asyncpg pool of 5: acquire, `fetch(sql, *args())`, release; dict rows or not."""
    import asyncpg  # noqa: PLC0415

    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)

    async def operation() -> Any:
        async with pool.acquire() as connection:
            rows = await connection.fetch(sql, *args())
        return [dict(row) for row in rows] if dicts else rows

    return operation, pool.close


BENCH_TABLE = "wirework_bench_rows"
ROWS = 1_000


async def _create_rows(url: str) -> None:
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            f"DROP TABLE IF EXISTS {BENCH_TABLE};"
            f"CREATE TABLE {BENCH_TABLE} (id integer PRIMARY KEY, name text NOT NULL);"
            f"INSERT INTO {BENCH_TABLE} SELECT g, 'name-' || g FROM generate_series(1, {ROWS}) g"
        )
    finally:
        await connection.close()


async def _drop_rows(url: str) -> None:
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {BENCH_TABLE}")
    finally:
        await connection.close()


def _ids() -> Callable[[], int]:
    """Ids 1..ROWS in turn: every contender reads the same rows in the same order."""
    counter = itertools.count()
    return lambda: next(counter) % ROWS + 1


async def _wirework_query(url: str) -> tuple[Operation, Closer]:
    service = await _open_service(url)
    next_id = _ids()
    sql = f"SELECT id, name FROM {BENCH_TABLE} WHERE id = :id"

    async def operation() -> Any:
        return await service.execute_query(sql, {"id": next_id()})

    return operation, service.close


def _bare_asyncpg_query(url: str, dicts: bool) -> Awaitable[tuple[Operation, Closer]]:
    next_id = _ids()
    sql = f"SELECT id, name FROM {BENCH_TABLE} WHERE id = $1"
    return _asyncpg(url, sql, lambda: (next_id(),), dicts)


async def _compare(
    result: BenchmarkResult,
    builders: dict[str, Callable[[], Awaitable[tuple[Operation, Closer]]]],
    seconds: float,
    rounds: int,
    tasks: int = TASKS,
) -> None:
    await compare_async(result, builders, lambda op: for_seconds(op, seconds, tasks), rounds)


def _records_target(result: BenchmarkResult) -> None:
    """Say what building the dicts costs: the bare pool's rate with them over without."""
    cost = result.row(BARE_ASYNCPG).median / result.row(RECORDS).median
    result.target(
        "report: the bare pool's rate with dict rows / with Records (what the dicts cost)",
        cost,
        True,
        contender=RECORDS,
    )


def _growth_target(few: BenchmarkResult, many: BenchmarkResult, limit: str) -> None:
    """On the many-borrowers result: does Wirework keep its rate as well as the limit does?"""
    kept = many.row(WIREWORK).median / few.row(WIREWORK).median
    limit_kept = many.row(limit).median / few.row(limit).median
    many.target(
        f"wirework keeps >= 0.9x of the limit's rate from {TASKS} to {MANY_TASKS:,} tasks "
        f"(wirework {kept:.2f}x, limit {limit_kept:.2f}x)",
        kept / limit_kept,
        kept / limit_kept >= 0.9,
    )


def _note(seconds: float, rounds: int) -> str:
    return (
        f"{seconds:g} s per contender per round, {rounds} rounds after one warm-up round; "
        "every contender returns the rows as dicts unless its name says otherwise"
    )


def run_sqlite(options: Options) -> list[BenchmarkResult]:
    result = BenchmarkResult("pool: acquire + SELECT 1 + release, 50 tasks, SQLite file", "ops/s")
    many = BenchmarkResult(
        f"pool: acquire + SELECT 1 + release, {MANY_TASKS:,} tasks, SQLite file", "ops/s"
    )
    seconds, rounds = options.throughput_rounds

    async def main() -> None:
        with tempfile.TemporaryDirectory(prefix="wirework-bench-") as folder:
            # One file for all: Wirework opens it first and puts it in WAL mode, which then
            # holds for every contender, so they all read the same database the same way.
            path = str(Path(folder) / "bench.db")
            await _compare(
                result,
                {
                    WIREWORK: lambda: _wirework(f"sqlite:///{path}"),
                    BARE_QUEUE: lambda: _bare_queue(path),
                    SINGLE: lambda: _single(path),
                    SQLALCHEMY: lambda: _sqlalchemy(f"sqlite+aiosqlite:///{path}"),
                },
                seconds,
                rounds,
            )
            await _compare(
                many,
                {
                    WIREWORK: lambda: _wirework(f"sqlite:///{path}"),
                    BARE_QUEUE: lambda: _bare_queue(path),
                },
                seconds,
                rounds,
                MANY_TASKS,
            )

    with timed(result):
        run_async(main)
    result.ratio_target(SQLALCHEMY, 3.0)
    result.ratio_target(SINGLE, 1.5, cause=SINGLE_GAP)
    result.ratio_target(BARE_QUEUE, 0.85, cause=SQLITE_GAP)
    result.notes.append(_note(seconds, rounds))
    many.notes.append(_note(seconds, rounds))
    many.ratio_target(BARE_QUEUE, 0.85, cause=SQLITE_GAP)
    _growth_target(result, many, BARE_QUEUE)
    return [result, many]


def postgres_url(options: Options) -> str | None:
    return options.postgres_url or os.environ.get("APP_TEST_POSTGRES_URL") or None


async def _reachable(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    import asyncpg  # noqa: PLC0415

    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def run_postgres(options: Options) -> list[BenchmarkResult]:
    result = BenchmarkResult("pool: acquire + SELECT 1 + release, 50 tasks, PostgreSQL", "ops/s")
    many = BenchmarkResult(
        f"pool: acquire + SELECT 1 + release, {MANY_TASKS:,} tasks, PostgreSQL", "ops/s"
    )
    query = BenchmarkResult(
        f"execute_query: one-row SELECT by id, {TASKS} tasks, PostgreSQL", "ops/s"
    )
    url = postgres_url(options)
    if url is None:
        result.skipped = "no PostgreSQL: set APP_TEST_POSTGRES_URL or pass --postgres-url"
        return [result]
    seconds, rounds = options.throughput_rounds
    alchemy_url = "postgresql+asyncpg://" + url.split("://", 1)[1]

    def select_one(dicts: bool) -> Awaitable[tuple[Operation, Closer]]:
        return _asyncpg(url, "SELECT 1", tuple, dicts)

    async def main() -> None:
        problem = await _reachable(url)
        if problem is not None:
            result.skipped = f"PostgreSQL not reachable ({problem})"
            return
        contenders = {
            WIREWORK: lambda: _wirework(url),
            BARE_ASYNCPG: lambda: select_one(dicts=True),
            RECORDS: lambda: select_one(dicts=False),
        }
        if not options.quick:
            contenders[SQLALCHEMY] = lambda: _sqlalchemy(alchemy_url)
        await _compare(result, contenders, seconds, rounds)
        if not options.quick:
            await _compare(
                many,
                {WIREWORK: lambda: _wirework(url), BARE_ASYNCPG: lambda: select_one(dicts=True)},
                seconds,
                rounds,
                MANY_TASKS,
            )
        await _create_rows(url)
        try:
            await _compare(
                query,
                {
                    WIREWORK: lambda: _wirework_query(url),
                    BARE_ASYNCPG: lambda: _bare_asyncpg_query(url, dicts=True),
                    RECORDS: lambda: _bare_asyncpg_query(url, dicts=False),
                },
                seconds,
                rounds,
            )
        finally:
            await _drop_rows(url)

    with timed(result):
        run_async(main)
    if result.skipped is not None:
        return [result]
    note = _note(seconds, rounds)
    result.ratio_target(BARE_ASYNCPG, 0.95, cause=POSTGRES_GAP)
    _records_target(result)
    quick_note = "; --quick leaves out SQLAlchemy and the 1,000 borrowers"
    result.notes.append(note + (quick_note if options.quick else ""))
    query.ratio_target(BARE_ASYNCPG, 0.95, cause=POSTGRES_GAP)
    _records_target(query)
    query.notes.append(
        f"{note}; a {ROWS:,}-row table, ids read in turn; Wirework's `execute_query` binds "
        "`:id`, the bare pool passes `$1`"
    )
    if options.quick:
        return [result, query]
    many.ratio_target(BARE_ASYNCPG, 0.95, cause=POSTGRES_GAP)
    _growth_target(result, many, BARE_ASYNCPG)
    many.notes.append(note)
    return [result, many, query]
