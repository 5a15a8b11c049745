"""Database integration on real SQLite: a pool of three, and the user repository under the
compatibility names `SQLiteBackend` / `PostgresBackend`."""

from collections.abc import AsyncIterator

import pytest

from app.testing import TestDataFactory
from providers.backends.postgres import PostgresBackend
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


def test_postgres_backend_is_the_same_repository() -> None:
    """The URL picks the database, so both names are one class."""
    assert PostgresBackend is SQLiteBackend
