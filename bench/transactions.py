"""Transactions: one transaction of 5 inserts, back to back, on SQLite and PostgreSQL.

Wirework's `db.transaction()` (pool acquire, `BEGIN IMMEDIATE` under the SQLite write lock
or `BEGIN`, five `tx.execute_query` inserts with `:name` binding, `COMMIT`, release) beside
the same statements on one raw driver connection (aiosqlite / asyncpg), which is the
limit: no pool, no lock, no binding translation. One task, so the ratio is the overhead
per transaction, not a difference in concurrency. A round runs transactions back to back
for a fixed time.
"""

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
from bench.pool import _reachable, postgres_url

INSERTS = 5
WIREWORK = "wirework db.transaction()"
RAW_AIOSQLITE = "one raw aiosqlite connection (limit)"
RAW_ASYNCPG = "one raw asyncpg connection (limit)"

Transaction = Callable[[], Awaitable[Any]]


async def _wirework(url: str) -> tuple[Transaction, Closer]:
    from providers.database import DatabaseService  # noqa: PLC0415

    service = DatabaseService(url, min_size=1, max_size=5, migrate=False)
    await service.initialize()
    table = (
        "CREATE TABLE IF NOT EXISTS bench_items (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER)"
        if service.dialect == "sqlite"
        else "CREATE TABLE IF NOT EXISTS bench_items (id BIGSERIAL PRIMARY KEY, n INTEGER)"
    )
    await service.execute_query(table)

    async def transaction() -> None:
        async with service.transaction() as tx:
            for number in range(INSERTS):
                await tx.execute_query("INSERT INTO bench_items (n) VALUES (:n)", {"n": number})

    return transaction, service.close


async def _raw_aiosqlite(path: str) -> tuple[Transaction, Closer]:
    import aiosqlite  # noqa: PLC0415

    connection = await aiosqlite.connect(path, isolation_level=None)
    await connection.execute("PRAGMA synchronous = NORMAL")  # as Wirework's pool sets it

    async def transaction() -> None:
        await connection.execute("BEGIN IMMEDIATE")
        for number in range(INSERTS):
            await connection.execute("INSERT INTO bench_items (n) VALUES (?)", (number,))
        await connection.execute("COMMIT")

    return transaction, connection.close


async def _raw_asyncpg(url: str) -> tuple[Transaction, Closer]:
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(url)

    async def transaction() -> None:
        async with connection.transaction():
            for number in range(INSERTS):
                await connection.execute("INSERT INTO bench_items (n) VALUES ($1)", number)

    return transaction, connection.close


def run_sqlite(options: Options) -> BenchmarkResult:
    result = BenchmarkResult(f"transaction of {INSERTS} inserts, one task, SQLite file", "tx/s")
    seconds, rounds = options.throughput_rounds

    async def main() -> None:
        with tempfile.TemporaryDirectory(prefix="wirework-bench-") as folder:
            path = str(Path(folder) / "bench.db")  # WAL, set by Wirework's pool, holds for both
            await compare_async(
                result,
                {  # Wirework first: it creates the table
                    WIREWORK: lambda: _wirework(f"sqlite:///{path}"),
                    RAW_AIOSQLITE: lambda: _raw_aiosqlite(path),
                },
                lambda transaction: for_seconds(transaction, seconds),
                rounds,
            )

    with timed(result):
        run_async(main)
    result.notes.append(f"{seconds:g} s per contender per round, {rounds} rounds after a warm-up")
    return result


def run_postgres(options: Options) -> BenchmarkResult:
    result = BenchmarkResult(f"transaction of {INSERTS} inserts, one task, PostgreSQL", "tx/s")
    url = postgres_url(options)
    if url is None:
        result.skipped = "no PostgreSQL: set APP_TEST_POSTGRES_URL or pass --postgres-url"
        return result
    seconds, rounds = options.throughput_rounds

    async def main() -> None:
        problem = await _reachable(url)
        if problem is not None:
            result.skipped = f"PostgreSQL not reachable ({problem})"
            return
        await compare_async(
            result,
            {WIREWORK: lambda: _wirework(url), RAW_ASYNCPG: lambda: _raw_asyncpg(url)},
            lambda transaction: for_seconds(transaction, seconds),
            rounds,
        )
        await _drop_table(url)

    with timed(result):
        run_async(main)
    result.notes.append(
        f"{seconds:g} s per contender per round, {rounds} rounds after a warm-up; table dropped"
    )
    return result


async def _drop_table(url: str) -> None:
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP TABLE IF EXISTS bench_items")
    finally:
        await connection.close()


def run(options: Options) -> list[BenchmarkResult]:
    """Both dialects, each Wirework beside its raw driver."""
    return [run_sqlite(options), run_postgres(options)]
