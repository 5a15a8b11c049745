"""The guide's database integration cases, on real SQLite, plus the user repository contract."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.backends.base import DuplicateUserError
from providers.backends.sqlite import SQLiteBackend
from providers.database import DatabaseService
from tests.helpers import TestDataFactory


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


@pytest.mark.parametrize("field", ["username", "email"])
async def test_duplicate_username_or_email_raises_one_dedicated_error(
    sqlite_backend: SQLiteBackend, field: str
) -> None:
    await sqlite_backend.create_user(TestDataFactory.create_user_data())
    other = TestDataFactory.create_user_data({"username": "other", "email": "other@example.com"})
    other[field] = TestDataFactory.create_user_data()[field]
    with pytest.raises(DuplicateUserError) as caught:
        await sqlite_backend.create_user(other)
    assert caught.value.field == field
    assert await sqlite_backend.count_users() == 1


async def test_update_to_a_taken_email_is_a_duplicate(sqlite_backend: SQLiteBackend) -> None:
    await sqlite_backend.create_user(TestDataFactory.create_user_data())
    second = await sqlite_backend.create_user(
        TestDataFactory.create_user_data({"username": "second", "email": "second@example.com"})
    )
    with pytest.raises(DuplicateUserError, match="email"):
        await sqlite_backend.update_user(second.id, {"email": "test@example.com"})
    unchanged = await sqlite_backend.get_user_by_id(second.id)
    assert unchanged is not None
    assert unchanged.email == "second@example.com"


@pytest.mark.parametrize("bad_key", ["id", "role", "email = 'x' --"])
async def test_update_refuses_unknown_columns(sqlite_backend: SQLiteBackend, bad_key: str) -> None:
    user = await sqlite_backend.create_user(TestDataFactory.create_user_data())
    with pytest.raises(ValueError, match="unknown user field"):
        await sqlite_backend.update_user(user.id, {bad_key: "x"})


async def test_create_refuses_missing_or_unknown_fields(sqlite_backend: SQLiteBackend) -> None:
    with pytest.raises(ValueError, match="missing user field"):
        await sqlite_backend.create_user({"username": "nomail"})
    with pytest.raises(ValueError, match="unknown user field"):
        await sqlite_backend.create_user(TestDataFactory.create_user_data({"is_admin": True}))


async def test_absent_users_are_none_or_false(sqlite_backend: SQLiteBackend) -> None:
    assert await sqlite_backend.get_user_by_id(404) is None
    assert await sqlite_backend.get_user_by_email("nobody@example.com") is None
    assert await sqlite_backend.update_user(404, {"email": "x@example.com"}) is None
    assert await sqlite_backend.delete_user(404) is False


async def test_list_and_count_page_in_id_order(sqlite_backend: SQLiteBackend) -> None:
    for number in range(7):
        await sqlite_backend.create_user(
            TestDataFactory.create_user_data(
                {"username": f"user{number}", "email": f"u{number}@example.com"}
            )
        )
    page = await sqlite_backend.list_users(limit=3, offset=2)
    assert [user.username for user in page] == ["user2", "user3", "user4"]
    assert await sqlite_backend.count_users() == 7
    found = await sqlite_backend.get_user_by_email("u6@example.com")
    assert found is not None
    assert found.username == "user6"
    with pytest.raises(ValueError, match="must not be negative"):
        await sqlite_backend.list_users(limit=-1)


async def test_concurrent_creates_of_one_username_store_exactly_one(
    sqlite_backend: SQLiteBackend,
) -> None:
    data = TestDataFactory.create_user_data()
    results = await asyncio.gather(
        *(sqlite_backend.create_user(dict(data)) for _ in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, DuplicateUserError) for r in results if isinstance(r, Exception))


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
