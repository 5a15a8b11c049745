"""Pool: acquire + `SELECT 1` + release from 50 concurrent tasks, on SQLite and PostgreSQL.

Every contender fetches the row (a pool that skipped reading the result would win for the
wrong reason). A round runs a fixed number of operations spread over the 50 tasks and
reports operations per second. The growth rows do the same with 1,000 borrowers queueing
for the same 5 connections, Wirework beside the bare pool (the limit).
"""

import asyncio
import itertools
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.harness import BenchmarkResult, Closer, Options, compare_async, run_async, timed

TASKS = 50
MANY_TASKS = 1_000
POOL_SIZE = 5
ACQUIRE_TIMEOUT = 120.0
"""Long enough for 1,000 borrowers queueing on a loaded machine: this measures throughput."""
WIREWORK = "wirework DatabaseService"

Operation = Callable[[], Awaitable[Any]]

BARE_QUEUE = "bare asyncio.Queue of 5 aiosqlite (limit)"
SINGLE = "one raw aiosqlite connection"
SQLALCHEMY = "SQLAlchemy async engine, pool 5"
BARE_ASYNCPG = "bare asyncpg pool of 5 (limit)"


def _round(operation: Operation, operations: int, tasks: int) -> Callable[[], Awaitable[float]]:
    async def measure() -> float:
        remaining = operations

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await operation()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        return operations / (time.perf_counter() - started)

    return measure


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
            return (await connection.execute(select_one)).fetchall()

    return operation, engine.dispose


async def _bare_queue(path: str) -> tuple[Operation, Closer]:
    import aiosqlite  # noqa: PLC0415

    connections = [await aiosqlite.connect(path, isolation_level=None) for _ in range(POOL_SIZE)]
    idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)

    async def operation() -> Any:
        connection = await idle.get()
        try:
            return await connection.execute_fetchall("SELECT 1")
        finally:
            idle.put_nowait(connection)

    async def close() -> None:
        for connection in connections:
            await connection.close()

    return operation, close


async def _single(path: str) -> tuple[Operation, Closer]:
    import aiosqlite  # noqa: PLC0415

    connection = await aiosqlite.connect(path, isolation_level=None)

    async def operation() -> Any:
        return await connection.execute_fetchall("SELECT 1")

    return operation, connection.close


async def _bare_asyncpg(url: str) -> tuple[Operation, Closer]:
    import asyncpg  # noqa: PLC0415

    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)

    async def operation() -> Any:
        async with pool.acquire() as connection:
            return await connection.fetch("SELECT 1")

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


async def _bare_asyncpg_query(url: str) -> tuple[Operation, Closer]:
    import asyncpg  # noqa: PLC0415

    pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    next_id = _ids()
    sql = f"SELECT id, name FROM {BENCH_TABLE} WHERE id = $1"

    async def operation() -> Any:
        async with pool.acquire() as connection:
            return [dict(row) for row in await connection.fetch(sql, next_id())]

    return operation, pool.close


async def _compare(
    result: BenchmarkResult,
    builders: dict[str, Callable[[], Awaitable[tuple[Operation, Closer]]]],
    operations: int,
    rounds: int,
    tasks: int = TASKS,
) -> None:
    await compare_async(result, builders, lambda op: _round(op, operations, tasks), rounds)


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


def run_sqlite(options: Options) -> list[BenchmarkResult]:
    result = BenchmarkResult("pool: acquire + SELECT 1 + release, 50 tasks, SQLite file", "ops/s")
    many = BenchmarkResult(
        f"pool: acquire + SELECT 1 + release, {MANY_TASKS:,} tasks, SQLite file", "ops/s"
    )
    operations = options.pick(4_000, 2_000)
    rounds = options.pick(7, 3)

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
                operations,
                rounds,
            )
            await _compare(
                many,
                {
                    WIREWORK: lambda: _wirework(f"sqlite:///{path}"),
                    BARE_QUEUE: lambda: _bare_queue(path),
                },
                operations,
                rounds,
                MANY_TASKS,
            )

    with timed(result):
        run_async(main)
    result.ratio_target(SQLALCHEMY, 3.0)
    result.ratio_target(SINGLE, 1.5)
    result.ratio_target(BARE_QUEUE, 0.85)
    result.notes.append(f"{operations:,} operations per round over {TASKS} tasks, {rounds} rounds")
    many.ratio_target(BARE_QUEUE, 0.85)
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
        "execute_query: one-row SELECT by id (dict rows), 50 tasks, PostgreSQL", "ops/s"
    )
    url = postgres_url(options)
    if url is None:
        result.skipped = "no PostgreSQL: set APP_TEST_POSTGRES_URL or pass --postgres-url"
        return [result]
    operations = options.pick(6_000, 3_000)
    rounds = options.pick(7, 3)
    alchemy_url = "postgresql+asyncpg://" + url.split("://", 1)[1]

    async def main() -> None:
        problem = await _reachable(url)
        if problem is not None:
            result.skipped = f"PostgreSQL not reachable ({problem})"
            return
        await _compare(
            result,
            {
                WIREWORK: lambda: _wirework(url),
                BARE_ASYNCPG: lambda: _bare_asyncpg(url),
                SQLALCHEMY: lambda: _sqlalchemy(alchemy_url),
            },
            operations,
            rounds,
        )
        await _compare(
            many,
            {WIREWORK: lambda: _wirework(url), BARE_ASYNCPG: lambda: _bare_asyncpg(url)},
            operations,
            rounds,
            MANY_TASKS,
        )
        await _create_rows(url)
        try:
            await _compare(
                query,
                {
                    WIREWORK: lambda: _wirework_query(url),
                    BARE_ASYNCPG: lambda: _bare_asyncpg_query(url),
                },
                operations,
                rounds,
            )
        finally:
            await _drop_rows(url)

    with timed(result):
        run_async(main)
    if result.skipped is not None:
        return [result]
    result.ratio_target(BARE_ASYNCPG, 0.9)
    result.notes.append(f"{operations:,} operations per round over {TASKS} tasks, {rounds} rounds")
    many.ratio_target(BARE_ASYNCPG, 0.9)
    _growth_target(result, many, BARE_ASYNCPG)
    query.ratio_target(BARE_ASYNCPG, 0.9)
    query.notes.append(
        f"{ROWS:,}-row table, ids read in turn; the bare pool builds the same dict rows"
    )
    return [result, many, query]
