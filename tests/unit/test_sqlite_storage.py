"""The SQLite pool's storage: a shared memory database, WAL files, concurrent writers."""

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from providers.database import DatabaseService


async def test_memory_database_is_shared_by_every_pooled_connection() -> None:
    service = DatabaseService("sqlite:///:memory:", min_size=2, max_size=2)
    await service.initialize()
    try:
        async with (
            service.get_connection_context() as first,
            service.get_connection_context() as second,
        ):
            assert first.id != second.id
            await first.execute("CREATE TABLE shared (x INTEGER)")
            await first.execute("INSERT INTO shared VALUES (:x)", {"x": 7})
            assert (await second.execute("SELECT x FROM shared"))["rows"] == [{"x": 7}]
    finally:
        await service.close()


async def test_each_memory_service_has_its_own_database() -> None:
    first, second = DatabaseService(), DatabaseService()
    await first.initialize()
    await second.initialize()
    try:
        await first.execute_query("CREATE TABLE only_here (x INTEGER)")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await second.execute_query("SELECT * FROM only_here")
    finally:
        await first.close()
        await second.close()


async def test_file_database_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    service = DatabaseService(f"sqlite:///{tmp_path}/nested/app.db")
    await service.initialize()
    try:
        mode = await service.execute_query("PRAGMA journal_mode")
        timeout = await service.execute_query("PRAGMA busy_timeout")
        assert mode["rows"] == [{"journal_mode": "wal"}]
        assert timeout["rows"][0]["timeout"] >= 1000
        assert (tmp_path / "nested" / "app.db").exists()
    finally:
        await service.close()


@pytest.mark.parametrize("attempt", range(20))
async def test_close_folds_the_wal_back_into_the_file(tmp_path: Path, attempt: int) -> None:
    """After a clean close the database is one file, safe to copy; no `-wal` is left behind.

    SQLite deletes the WAL only when the last connection closes: several connections closed
    at the same moment can each see another still open, and none deletes it.
    """
    database = tmp_path / f"app{attempt}.db"
    service = DatabaseService(f"sqlite:///{database}", min_size=5, max_size=5)
    await service.initialize()
    held = [await service.get_connection() for _ in range(5)]
    await asyncio.gather(*(connection.execute("SELECT 1") for connection in held))
    for connection in held:
        await service.release_connection(connection)
    await service.execute_query(
        "INSERT INTO users (username, email, created_at, updated_at) VALUES ('u', 'u@x.org', 0, 0)"
    )
    await service.close()
    assert _files_and_rows(database) == ([database.name], 1)


def _files_and_rows(database: Path) -> tuple[list[str], int]:
    """The files the database is made of, and how many users a fresh reader finds."""
    files = sorted(path.name for path in database.parent.iterdir())
    with contextlib.closing(sqlite3.connect(database)) as check:
        (count,) = check.execute("SELECT COUNT(*) FROM users").fetchone()
    return files, count


async def test_concurrent_writers_never_see_database_is_locked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/writers.db"
    first = DatabaseService(url, max_size=5)
    second = DatabaseService(url, max_size=5)  # a second pool on the same file, like a 2nd process
    await first.initialize()
    await second.initialize()
    insert = "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :e, 0, 0)"
    try:
        await asyncio.gather(
            *(
                (first if n % 2 else second).execute_query(
                    insert, {"u": f"u{n}", "e": f"u{n}@x.org"}
                )
                for n in range(200)
            )
        )
        count = await first.execute_query("SELECT COUNT(*) AS n FROM users")
        assert count["rows"] == [{"n": 200}]
    finally:
        await first.close()
        await second.close()
