"""SQLite's write lock covers every in-process writer: borrowed connections and migrations too."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.database import DatabaseService
from providers.database.pools.sqlite_connection import WriteOrderError

INSERT = "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :e, 0, 0)"


def _user(number: int) -> dict[str, str]:
    return {"u": f"user{number}", "e": f"user{number}@example.com"}


@pytest.fixture
async def file_service(tmp_path: Path) -> AsyncIterator[DatabaseService]:
    service = DatabaseService(f"sqlite:///{tmp_path}/writers.db", max_size=5, acquire_timeout=30)
    await service.initialize()
    yield service
    await service.close()


async def test_a_borrowed_writer_waits_for_an_open_transaction_instead_of_failing(
    file_service: DatabaseService,
) -> None:
    """With SQLite's own busy wait off, only the pool's lock can keep the second writer waiting."""
    holder = await file_service.get_connection()
    other = await file_service.get_connection()
    await other.execute("PRAGMA busy_timeout = 0")
    await holder.execute("BEGIN IMMEDIATE")
    await holder.execute(INSERT, _user(1))
    writer = asyncio.create_task(other.execute(INSERT, _user(2)))
    await asyncio.sleep(0.05)
    assert not writer.done(), f"the second writer did not wait: {writer}"
    await holder.execute("COMMIT")
    assert (await writer)["affected"] == 1
    await file_service.release_connection(holder)
    await file_service.release_connection(other)
    count = await file_service.execute_query("SELECT COUNT(*) AS n FROM users")
    assert count["rows"] == [{"n": 2}]


async def test_concurrent_writers_on_borrowed_connections_lose_nothing(
    file_service: DatabaseService,
) -> None:
    """Borrowed autocommit writes, borrowed transactions and plain writes, all at once."""

    async def borrowed_write(number: int) -> None:
        async with file_service.get_connection_context() as connection:
            await connection.execute(INSERT, _user(number))

    async def borrowed_transaction(number: int) -> None:
        async with file_service.get_connection_context() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            for offset in range(3):
                await connection.execute(INSERT, _user(number + offset))
                await asyncio.sleep(0)  # let every other writer try to get in meanwhile
            await connection.execute("COMMIT")

    async def plain_write(number: int) -> None:
        await file_service.execute_query(INSERT, _user(number))

    await asyncio.gather(
        *(borrowed_write(n) for n in range(0, 20)),
        *(borrowed_transaction(n) for n in range(100, 160, 3)),
        *(plain_write(n) for n in range(200, 220)),
    )
    count = await file_service.execute_query("SELECT COUNT(*) AS n FROM users")
    assert count["rows"] == [{"n": 20 + 20 * 3 + 20}]
    assert file_service.get_stats()["in_use_connections"] == 0


async def test_a_second_writer_in_the_same_task_is_refused_not_left_waiting(
    file_service: DatabaseService,
) -> None:
    """It would wait for itself forever; the error says where to run the statement instead."""
    async with file_service.get_connection_context() as connection:
        await connection.execute("BEGIN IMMEDIATE")
        with pytest.raises(WriteOrderError, match=r"run the statement in that transaction"):
            await file_service.execute_query(INSERT, _user(1))
    assert (await file_service.execute_query(INSERT, _user(2)))["affected"] == 1


async def test_cancelled_borrower_frees_the_write_lock(file_service: DatabaseService) -> None:
    """A task cancelled inside an open transaction leaves no lock and no uncommitted row."""
    inside = asyncio.Event()

    async def hold() -> None:
        async with file_service.get_connection_context() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            await connection.execute(INSERT, _user(1))
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(hold())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        assert (await file_service.execute_query(INSERT, _user(2)))["affected"] == 1
    count = await file_service.execute_query("SELECT username FROM users")
    assert count["rows"] == [{"username": "user2"}]
