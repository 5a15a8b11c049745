"""DatabaseService: the guide's unit cases, then every pool behaviour the issue promises."""

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

import pytest

from providers.database import DatabaseService, PoolTimeoutError

# -- the guide's cases ---------------------------------------------------------------


@pytest.fixture
def mock_connection() -> dict[str, object]:
    """The guide's connection record: the metadata every pooled connection exposes."""
    return {"id": "test_conn_1", "created_at": 1234567890.0, "last_used": None, "query_count": 0}


async def test_database_initialization(database_service: DatabaseService) -> None:
    assert database_service.is_initialized
    assert database_service.connection_pool is not None
    assert database_service.connection_count > 0


async def test_connection_management(database_service: DatabaseService) -> None:
    connection = await database_service.get_connection()
    assert connection is not None
    assert "id" in connection
    assert "created_at" in connection

    pool = database_service.connection_pool
    assert pool is not None
    initial_available = len(pool["available"])
    await database_service.release_connection(connection)
    pool = database_service.connection_pool
    assert pool is not None
    assert len(pool["available"]) == initial_available + 1


async def test_connection_metadata_matches_the_guide_record(
    database_service: DatabaseService, mock_connection: dict[str, object]
) -> None:
    async with database_service.get_connection_context() as connection:
        assert set(connection) == set(mock_connection)
        assert isinstance(connection["created_at"], float)
        before = connection["query_count"]
        await connection.execute("SELECT 1")
        assert connection["query_count"] == before + 1
        assert connection["last_used"] is not None


async def test_connection_context_manager(database_service: DatabaseService) -> None:
    async with database_service.get_connection_context() as conn:
        assert conn is not None
        assert "id" in conn

    pool = database_service.connection_pool
    assert pool is not None
    assert conn in pool["available"]


async def test_query_execution(database_service: DatabaseService) -> None:
    inserted = await database_service.execute_query(
        "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :e, 0, 0)",
        {"u": "ada", "e": "ada@example.com"},
    )
    assert inserted["affected"] == 1

    result = await database_service.execute_query("SELECT * FROM users")
    assert result is not None
    assert "rows" in result
    assert "affected" in result
    assert [(row["username"], row["email"]) for row in result["rows"]] == [
        ("ada", "ada@example.com")
    ]


async def test_service_not_initialized() -> None:
    service = DatabaseService()
    with pytest.raises(RuntimeError, match="Database service not initialized"):
        await service.get_connection()
    with pytest.raises(RuntimeError, match="Database service not initialized"):
        await service.execute_query("SELECT 1")


async def test_service_stats(database_service: DatabaseService) -> None:
    stats = database_service.get_stats()
    assert stats["status"] == "initialized"
    assert "total_connections" in stats
    assert "available_connections" in stats
    assert "in_use_connections" in stats


async def test_reload_mode_skip() -> None:
    service = DatabaseService(reload_mode=True)
    await service.initialize()
    assert not service.is_initialized
    assert service.connection_pool is None
    assert service.connection_count == 0


# -- queries -------------------------------------------------------------------------


async def test_parameters_are_bound_never_spliced(database_service: DatabaseService) -> None:
    hostile = "x'); DROP TABLE users; --"
    result = await database_service.execute_query("SELECT :v AS v", {"v": hostile})
    assert result["rows"] == [{"v": hostile}]
    assert (await database_service.execute_query("SELECT COUNT(*) AS n FROM users"))["rows"] == [
        {"n": 0}
    ]


async def test_writes_report_affected_rows_and_returning_rows(
    database_service: DatabaseService,
) -> None:
    insert = (
        "INSERT INTO users (username, email, created_at, updated_at)"
        " VALUES (:u, :e, 0, 0) RETURNING id"
    )
    first = await database_service.execute_query(insert, {"u": "a", "e": "a@example.com"})
    await database_service.execute_query(insert, {"u": "b", "e": "b@example.com"})
    assert first == {"rows": [{"id": 1}], "affected": 1}
    updated = await database_service.execute_query("UPDATE users SET is_active = 0")
    assert updated == {"rows": [], "affected": 2}


async def test_failed_statement_returns_its_connection(database_service: DatabaseService) -> None:
    before = database_service.connection_count
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await database_service.execute_query("SELECT * FROM missing_table")
    pool = database_service.connection_pool
    assert pool is not None
    assert pool["in_use"] == []
    assert database_service.connection_count == before


async def test_memory_database_is_shared_by_every_pooled_connection() -> None:
    service = DatabaseService("sqlite:///:memory:", min_size=2, max_size=2)
    await service.initialize()
    try:
        async with (
            service.get_connection_context() as first,
            service.get_connection_context() as second,
        ):
            assert first["id"] != second["id"]
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


# -- the pool's promises ---------------------------------------------------------------


async def test_acquire_times_out_naming_pool_size_and_timeout() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=0.05)
    await service.initialize()
    try:
        held = await service.get_connection()
        with pytest.raises(TimeoutError, match=r"0\.05s.*all 1 connections") as caught:
            await service.get_connection()
        assert isinstance(caught.value, PoolTimeoutError)
        assert service.get_stats()["acquire_timeouts"] == 1
        await service.release_connection(held)
        async with service.get_connection_context():
            pass  # the pool still works after a timeout
    finally:
        await service.close()


async def test_waiters_are_served_first_come_first_served() -> None:
    service = DatabaseService(max_size=1)
    await service.initialize()
    served: list[int] = []

    async def borrow(number: int) -> None:
        async with service.get_connection_context():
            served.append(number)
            await asyncio.sleep(0)

    try:
        held = await service.get_connection()
        waiters = []
        for number in range(5):
            waiters.append(asyncio.create_task(borrow(number)))
            await asyncio.sleep(0)  # each one gets in line before the next
        await service.release_connection(held)
        # A newcomer arriving after the release must queue behind the five.
        waiters.append(asyncio.create_task(borrow(5)))
        await asyncio.gather(*waiters)
        assert served == [0, 1, 2, 3, 4, 5]
    finally:
        await service.close()


async def test_broken_connection_is_replaced_not_returned(
    database_service: DatabaseService,
) -> None:
    connection = await database_service.get_connection()
    await connection.raw.close()  # the link dies while checked out
    with pytest.raises(ConnectionError, match="closed"):
        await connection.execute("SELECT 1")
    await database_service.release_connection(connection)

    pool = database_service.connection_pool
    assert pool is not None
    assert connection not in pool["available"]
    assert database_service.get_stats()["replaced_connections"] == 1
    result = await database_service.execute_query("SELECT 1 AS ok")
    assert result["rows"] == [{"ok": 1}]


async def test_connection_closed_silently_is_replaced_on_release(
    database_service: DatabaseService,
) -> None:
    connection = await database_service.get_connection()
    await connection.raw.close()
    await database_service.release_connection(connection)
    async with database_service.get_connection_context() as fresh:
        assert fresh is not connection
        assert (await fresh.execute("SELECT 2 AS two"))["rows"] == [{"two": 2}]


async def test_double_release_raises_and_corrupts_nothing(
    database_service: DatabaseService,
) -> None:
    connection = await database_service.get_connection()
    await database_service.release_connection(connection)
    pool = database_service.connection_pool
    assert pool is not None
    available = list(pool["available"])
    with pytest.raises(ValueError, match="released twice"):
        await database_service.release_connection(connection)
    pool = database_service.connection_pool
    assert pool is not None
    assert pool["available"] == available
    first, second = await database_service.get_connection(), await database_service.get_connection()
    assert first is not second  # the same connection is never handed out twice
    await database_service.release_connection(first)
    await database_service.release_connection(second)


async def test_task_cancelled_while_waiting_leaks_nothing() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=5)
    await service.initialize()
    try:
        held = await service.get_connection()
        waiter = asyncio.create_task(service.get_connection())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await service.release_connection(held)
        assert service.get_stats()["in_use_connections"] == 0
        assert service.get_stats()["waiting"] == 0
        async with asyncio.timeout(1):
            async with service.get_connection_context():
                pass
    finally:
        await service.close()


async def test_cancelled_just_after_hand_over_passes_the_connection_on() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=5)
    await service.initialize()
    try:
        held = await service.get_connection()
        waiter = asyncio.create_task(service.get_connection())
        await asyncio.sleep(0.01)
        await service.release_connection(held)  # hands the connection to the waiter ...
        waiter.cancel()  # ... which is cancelled before it can run
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert service.get_stats()["in_use_connections"] == 0
        async with asyncio.timeout(1):
            async with service.get_connection_context():
                pass
    finally:
        await service.close()


async def test_task_cancelled_while_holding_returns_the_connection(
    database_service: DatabaseService,
) -> None:
    entered = asyncio.Event()

    async def hold_forever() -> None:
        async with database_service.get_connection_context():
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(hold_forever())
    await entered.wait()
    assert database_service.get_stats()["in_use_connections"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert database_service.get_stats()["in_use_connections"] == 0


async def test_open_transaction_is_rolled_back_on_release(
    database_service: DatabaseService,
) -> None:
    async with database_service.get_connection_context() as connection:
        await connection.execute("BEGIN IMMEDIATE")
        await connection.execute(
            "INSERT INTO users (username, email, created_at, updated_at)"
            " VALUES ('ghost', 'g@x.org', 0, 0)"
        )
    count = await database_service.execute_query("SELECT COUNT(*) AS n FROM users")
    assert count["rows"] == [{"n": 0}]


async def test_close_waits_for_a_connection_returned_in_time() -> None:
    service = DatabaseService(close_timeout=5)
    await service.initialize()
    held = await service.get_connection()

    async def give_back_soon() -> None:
        await asyncio.sleep(0.05)
        await service.release_connection(held)

    returning = asyncio.create_task(give_back_soon())
    started = time.monotonic()
    await service.close()
    await returning
    assert time.monotonic() - started < 2.0  # woken by the release, not by the timeout
    assert not service.is_initialized


async def test_close_is_bounded_with_connections_checked_out() -> None:
    service = DatabaseService(close_timeout=0.1)
    await service.initialize()
    held = await service.get_connection()
    started = time.monotonic()
    await service.close()
    assert time.monotonic() - started < 2.0
    assert not service.is_initialized
    assert service.connection_pool is None
    await service.release_connection(held)  # a late release after close is harmless


async def test_close_wakes_waiters_with_a_clear_error() -> None:
    service = DatabaseService(max_size=1, close_timeout=0.05)
    await service.initialize()
    await service.get_connection()
    waiter = asyncio.create_task(service.get_connection())
    await asyncio.sleep(0.01)
    await service.close()
    with pytest.raises(RuntimeError, match="closed"):
        await waiter


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_size": 0}, "max_size must be at least 1"),
        ({"min_size": 3, "max_size": 2}, "min_size must be between 0 and max_size"),
        ({"acquire_timeout": 0}, "acquire_timeout must be a positive number of seconds"),
        ({"url": "mysql://localhost/db"}, "not a SQLite URL"),
    ],
)
def test_bad_options_are_refused_at_construction(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatabaseService(**options)  # type: ignore[arg-type]
