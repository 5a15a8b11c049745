"""The guide's database integration cases, on real SQLite, plus the user repository contract."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.testing import TestDataFactory
from providers.backends.sqlite import SQLiteBackend
from providers.database import DatabaseService


@pytest.fixture
async def sqlite_backend() -> AsyncIterator[SQLiteBackend]:
    backend = SQLiteBackend("sqlite:///:memory:")
    await backend.initialize()
    yield backend
    await backend.close()


async def test_database_connection_pool(database_service: DatabaseService) -> None:
    conn1 = await database_service.get_connection()
    conn2 = await database_service.get_connection()
    conn3 = await database_service.get_connection()

    assert conn1["id"] != conn2["id"]
    assert conn2["id"] != conn3["id"]

    await database_service.release_connection(conn1)
    await database_service.release_connection(conn2)
    await database_service.release_connection(conn3)

    stats = database_service.get_stats()
    assert stats["total_connections"] >= 3


async def test_sqlite_backend_operations(sqlite_backend: SQLiteBackend) -> None:
    user_data = TestDataFactory.create_user_data()

    user = await sqlite_backend.create_user(user_data)
    assert user is not None
    assert user.username == "testuser"
    assert user.email == "test@example.com"

    retrieved_user = await sqlite_backend.get_user_by_id(user.id)
    assert retrieved_user is not None
    assert retrieved_user.username == "testuser"

    retrieved_user = await sqlite_backend.get_user_by_username("testuser")
    assert retrieved_user is not None
    assert retrieved_user.email == "test@example.com"

    updated_user = await sqlite_backend.update_user(user.id, {"email": "newemail@example.com"})
    assert updated_user is not None
    assert updated_user.email == "newemail@example.com"
    assert updated_user.updated_at >= user.updated_at

    deleted = await sqlite_backend.delete_user(user.id)
    assert deleted is True

    retrieved_user = await sqlite_backend.get_user_by_id(user.id)
    assert retrieved_user is None


async def test_users_survive_a_restart_on_a_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/users.db"
    first = SQLiteBackend(url)
    await first.initialize()
    created = await first.create_user(TestDataFactory.create_user_data())
    await first.close()

    second = SQLiteBackend(url)
    await second.initialize()
    try:
        found = await second.get_user_by_username("testuser")
        assert found == created
    finally:
        await second.close()


async def test_backend_on_a_shared_pool_leaves_the_pool_open(
    database_service: DatabaseService,
) -> None:
    backend = SQLiteBackend(database=database_service)
    await backend.initialize()
    await backend.create_user(TestDataFactory.create_user_data())
    await backend.close()
    assert database_service.is_initialized
    assert (await database_service.execute_query("SELECT COUNT(*) AS n FROM users"))["rows"] == [
        {"n": 1}
    ]
    with pytest.raises(ValueError, match="either url or database"):
        SQLiteBackend("sqlite:///:memory:", database=database_service)
