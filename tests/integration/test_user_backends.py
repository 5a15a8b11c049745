"""One contract for every user backend: SQLite and PostgreSQL must behave the same.

The PostgreSQL half runs when APP_TEST_POSTGRES_URL is set (CI sets it) and skips with
that reason otherwise.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.testing import TestDataFactory
from providers.backends.postgres import PostgresBackend
from providers.backends.sqlite import SQLiteBackend
from providers.users import DuplicateUserError
from providers.users.repository import UserRepository


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def user_backend(request: pytest.FixtureRequest) -> AsyncIterator[UserRepository]:
    """Each contract test runs once per backend, on an empty database."""
    backend: UserRepository
    if request.param == "postgres":
        backend = PostgresBackend(request.getfixturevalue("postgres_url"))
    else:
        backend = SQLiteBackend("sqlite:///:memory:")
    await backend.initialize()
    yield backend
    await backend.close()


async def test_user_backend_operations(user_backend: UserRepository) -> None:
    """The guide's repository walk-through, on every backend."""
    user = await user_backend.create_user(TestDataFactory.create_user_data())
    assert user.username == "testuser"
    assert user.email == "test@example.com"
    assert user.is_active is True
    assert user.password_hash == "hashed_password"

    by_id = await user_backend.get_user_by_id(user.id)
    by_name = await user_backend.get_user_by_username("testuser")
    assert by_id == by_name == user

    updated = await user_backend.update_user(
        user.id, {"email": "new@example.com", "is_active": False}
    )
    assert updated is not None
    assert updated.email == "new@example.com"
    assert updated.is_active is False
    assert updated.created_at == user.created_at

    assert await user_backend.delete_user(user.id) is True
    assert await user_backend.get_user_by_id(user.id) is None


@pytest.mark.parametrize("field", ["username", "email"])
async def test_duplicate_username_or_email_raises_one_dedicated_error(
    user_backend: UserRepository, field: str
) -> None:
    await user_backend.create_user(TestDataFactory.create_user_data())
    other = TestDataFactory.create_user_data({"username": "other", "email": "other@example.com"})
    other[field] = TestDataFactory.create_user_data()[field]
    with pytest.raises(DuplicateUserError) as caught:
        await user_backend.create_user(other)
    assert caught.value.field == field
    assert await user_backend.count_users() == 1


async def test_update_to_a_taken_email_is_a_duplicate(user_backend: UserRepository) -> None:
    await user_backend.create_user(TestDataFactory.create_user_data())
    second = await user_backend.create_user(
        TestDataFactory.create_user_data({"username": "second", "email": "second@example.com"})
    )
    with pytest.raises(DuplicateUserError, match="email"):
        await user_backend.update_user(second.id, {"email": "test@example.com"})
    unchanged = await user_backend.get_user_by_id(second.id)
    assert unchanged is not None
    assert unchanged.email == "second@example.com"


@pytest.mark.parametrize("bad_key", ["id", "role", "email = 'x' --"])
async def test_update_refuses_unknown_columns(user_backend: UserRepository, bad_key: str) -> None:
    user = await user_backend.create_user(TestDataFactory.create_user_data())
    with pytest.raises(ValueError, match="unknown user field"):
        await user_backend.update_user(user.id, {bad_key: "x"})


async def test_create_refuses_missing_or_unknown_fields(user_backend: UserRepository) -> None:
    with pytest.raises(ValueError, match="missing user field"):
        await user_backend.create_user({"username": "nomail"})
    with pytest.raises(ValueError, match="unknown user field"):
        await user_backend.create_user(TestDataFactory.create_user_data({"is_admin": True}))


async def test_absent_users_are_none_or_false(user_backend: UserRepository) -> None:
    assert await user_backend.get_user_by_id(404) is None
    assert await user_backend.get_user_by_email("nobody@example.com") is None
    assert await user_backend.update_user(404, {"email": "x@example.com"}) is None
    assert await user_backend.delete_user(404) is False


async def test_list_and_count_page_in_id_order(user_backend: UserRepository) -> None:
    for number in range(7):
        await user_backend.create_user(
            TestDataFactory.create_user_data(
                {"username": f"user{number}", "email": f"u{number}@example.com"}
            )
        )
    page = await user_backend.list_users(limit=3, offset=2)
    assert [user.username for user in page] == ["user2", "user3", "user4"]
    assert await user_backend.count_users() == 7
    found = await user_backend.get_user_by_email("u6@example.com")
    assert found is not None
    assert found.username == "user6"
    with pytest.raises(ValueError, match="must not be negative"):
        await user_backend.list_users(limit=-1)


async def test_concurrent_creates_of_one_username_store_exactly_one(
    user_backend: UserRepository,
) -> None:
    data = TestDataFactory.create_user_data()
    results = await asyncio.gather(
        *(user_backend.create_user(dict(data)) for _ in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, DuplicateUserError) for r in results if isinstance(r, Exception))
