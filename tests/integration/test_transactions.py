"""`db.transaction()`: the same promises on a SQLite file and on PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.database import DatabaseService
from providers.database.pools.base import UniqueViolationError
from providers.database.transaction import TransactionAbortedError, TransactionClosedError

INSERT = "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :e, 0, 0)"
COUNT = "SELECT COUNT(*) AS n FROM users"


def _user(number: int) -> dict[str, str]:
    return {"u": f"user{number}", "e": f"user{number}@example.com"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseService]:
    """A migrated database on a SQLite file, then on PostgreSQL; a pool of five."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/transactions.db"
    service = DatabaseService(url, max_size=5, acquire_timeout=30)
    await service.initialize()
    yield service
    await service.close()


async def _count(database: DatabaseService) -> int:
    return int((await database.execute_query(COUNT))["rows"][0]["n"])


async def test_commit_on_exit(database: DatabaseService) -> None:
    async with database.transaction() as tx:
        assert (await tx.execute_query(INSERT, _user(1)))["affected"] == 1
        await tx.execute_query(INSERT, _user(2))
        assert (await tx.execute_query(COUNT))["rows"] == [{"n": 2}]
    assert tx.state == "committed"
    assert await _count(database) == 2
    assert database.get_stats()["committed_transactions"] == 1


async def test_rollback_when_the_body_raises_keeps_the_exception(database: DatabaseService) -> None:
    error = LookupError("the caller's own error")
    transaction = database.transaction()

    async def failing_body() -> None:
        async with transaction as tx:
            await tx.execute_query(INSERT, _user(1))
            raise error

    with pytest.raises(LookupError) as caught:
        await failing_body()
    assert caught.value is error
    assert transaction.state == "rolled back"
    assert await _count(database) == 0
    stats = database.get_stats()
    assert (stats["in_use_connections"], stats["open_transactions"]) == (0, 0)
    assert stats["rolled_back_transactions"] == 1


async def test_outside_readers_do_not_see_uncommitted_rows(database: DatabaseService) -> None:
    async with database.transaction() as tx:
        await tx.execute_query(INSERT, _user(1))
        assert await _count(database) == 0  # another connection, outside the transaction
        assert (await tx.execute_query(COUNT))["rows"] == [{"n": 1}]
    assert await _count(database) == 1


async def test_cancelled_task_rolls_back_and_returns_the_connection(
    database: DatabaseService,
) -> None:
    inside = asyncio.Event()

    async def write_then_hang() -> None:
        async with database.transaction() as tx:
            await tx.execute_query(INSERT, _user(1))
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(write_then_hang())
    await inside.wait()
    stats = database.get_stats()
    assert (stats["in_use_connections"], stats["open_transactions"]) == (1, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stats = database.get_stats()
    assert (stats["in_use_connections"], stats["open_transactions"]) == (0, 0)
    assert await _count(database) == 0
    async with asyncio.timeout(5), database.transaction() as tx:  # the write lock is free
        await tx.execute_query(INSERT, _user(2))
    assert await _count(database) == 1


async def test_cancelled_during_a_statement_rolls_back(database: DatabaseService) -> None:
    """Cancelled while the database works on a statement, not while the task sleeps."""
    slow = (
        "SELECT pg_sleep(5)"
        if database.dialect == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
        " SELECT COUNT(*) AS c FROM n"
    )
    started = asyncio.Event()

    async def write_then_wait() -> None:
        async with database.transaction() as tx:
            await tx.execute_query(INSERT, _user(1))
            started.set()
            await tx.execute_query(slow)

    task = asyncio.create_task(write_then_wait())
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert database.get_stats()["in_use_connections"] == 0
    async with asyncio.timeout(10):
        assert await _count(database) == 0
        await database.execute_query(INSERT, _user(2))
    assert await _count(database) == 1


async def test_a_transaction_is_unusable_after_its_block(database: DatabaseService) -> None:
    async with database.transaction() as tx:
        await tx.execute_query(INSERT, _user(1))
    with pytest.raises(TransactionClosedError, match=r"committed.*inside its `async with"):
        await tx.execute_query(INSERT, _user(2))
    with pytest.raises(TransactionClosedError, match="open a new one"):
        async with tx:
            pass
    assert await _count(database) == 1


async def test_savepoint_undoes_only_its_own_statements(database: DatabaseService) -> None:
    async with database.transaction() as tx:

        async def two_inserts_the_second_a_duplicate() -> None:
            async with tx.savepoint():
                await tx.execute_query(INSERT, _user(2))
                await tx.execute_query(INSERT, _user(1))

        await tx.execute_query(INSERT, _user(1))
        with pytest.raises(UniqueViolationError, match=r"users\((username|email)\)"):
            await two_inserts_the_second_a_duplicate()  # undoes user2 too
        await tx.execute_query(INSERT, _user(3))
    rows = await database.execute_query("SELECT username FROM users ORDER BY username")
    assert rows["rows"] == [{"username": "user1"}, {"username": "user3"}]


async def test_a_failed_statement_without_savepoint_rolls_everything_back(
    database: DatabaseService,
) -> None:
    """Both dialects refuse to commit after a failure: PostgreSQL would, and SQLite matches."""

    async def caught_duplicate() -> None:
        async with database.transaction() as tx:
            await tx.execute_query(INSERT, _user(1))
            with pytest.raises(UniqueViolationError):
                await tx.execute_query(INSERT, _user(1))

    with pytest.raises(TransactionAbortedError, match=r"tx\.savepoint") as caught:
        await caught_duplicate()
    assert isinstance(caught.value.__cause__, UniqueViolationError)
    assert await _count(database) == 0


async def test_isolation_level(database: DatabaseService) -> None:
    async with database.transaction(isolation="repeatable_read") as tx:
        if database.dialect == "postgresql":
            level = await tx.execute_query("SHOW transaction_isolation")
            assert level["rows"] == [{"transaction_isolation": "repeatable read"}]
        await tx.execute_query(INSERT, _user(1))
    assert await _count(database) == 1
    with pytest.raises(ValueError, match="unknown isolation level 'chaos'"):
        database.transaction(isolation="chaos")  # type: ignore[arg-type]


async def test_writing_transactions_beside_plain_writes_lose_nothing(
    database: DatabaseService,
) -> None:
    """20 transactions of 3 inserts and 20 plain inserts at once, on a pool of five."""

    async def transaction(number: int) -> None:
        async with database.transaction() as tx:
            for offset in range(3):
                await tx.execute_query(INSERT, _user(number + offset))
                await asyncio.sleep(0)

    async def plain(number: int) -> None:
        await database.execute_query(INSERT, _user(number))

    results = await asyncio.gather(
        *(transaction(n) for n in range(0, 60, 3)),
        *(plain(n) for n in range(100, 120)),
        return_exceptions=True,
    )
    assert [r for r in results if r is not None] == []
    assert await _count(database) == 20 * 3 + 20
    stats = database.get_stats()
    assert (stats["in_use_connections"], stats["open_transactions"]) == (0, 0)
    assert stats["committed_transactions"] == 20


async def test_sqlite_refuses_a_second_writer_in_the_same_task(tmp_path: Path) -> None:
    """On SQLite a write outside the open transaction would wait for it forever."""
    database = DatabaseService(f"sqlite:///{tmp_path}/nested.db")
    await database.initialize()

    async def write_beside_the_transaction() -> None:
        async with database.transaction() as tx:
            await tx.execute_query(INSERT, _user(1))
            await database.execute_query(INSERT, _user(2))

    try:
        with pytest.raises(RuntimeError, match="run the statement in that transaction"):
            await write_beside_the_transaction()
        assert await _count(database) == 0
    finally:
        await database.close()
