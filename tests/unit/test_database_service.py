"""DatabaseService: lifecycle, borrowing, queries and statistics, as a user's tests read them."""

import sqlite3

import pytest

from providers.database import DatabaseService


@pytest.fixture
def mock_connection() -> dict[str, object]:
    """A connection record as a test builds it: the metadata every pooled connection exposes."""
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


async def test_connection_metadata_reads_as_a_record(
    database_service: DatabaseService, mock_connection: dict[str, object]
) -> None:
    async with database_service.get_connection_context() as connection:
        assert all(key in connection for key in mock_connection)
        assert "password" not in connection
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
