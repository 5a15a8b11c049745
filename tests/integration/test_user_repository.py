"""`UserRepository` on a `DatabaseService`: the same behaviour on SQLite and PostgreSQL.

The PostgreSQL half runs when APP_TEST_POSTGRES_URL is set (CI sets it) and skips with
that reason otherwise.
"""

import asyncio
from pathlib import Path

import pytest

from app.testing import TestDataFactory
from providers.database import DatabaseService
from providers.users import DuplicateUserError, UserRepository


async def test_create_get_find_update_delete(users: UserRepository) -> None:
    user = await users.create(TestDataFactory.create_user_data())
    assert (user.username, user.email) == ("testuser", "test@example.com")
    assert user.is_active is True
    assert user.password_hash == "hashed_password"
    assert await users.get(user.id) == await users.find(username="testuser") == user

    updated = await users.update(user.id, {"email": "new@example.com", "is_active": False})
    assert updated is not None
    assert (updated.email, updated.is_active) == ("new@example.com", False)
    assert updated.created_at == user.created_at
    assert updated.updated_at >= user.updated_at

    assert await users.delete(user.id) is True
    assert await users.get(user.id) is None
    assert await users.update(user.id, {"email": "x@example.com"}) is None
    assert await users.delete(user.id) is False


@pytest.mark.parametrize("field", ["username", "email"])
async def test_duplicate_username_or_email_raises_one_dedicated_error(
    users: UserRepository, field: str
) -> None:
    await users.create(TestDataFactory.create_user_data())
    other = TestDataFactory.create_user_data({"username": "other", "email": "other@example.com"})
    other[field] = TestDataFactory.create_user_data()[field]
    with pytest.raises(DuplicateUserError) as caught:
        await users.create(other)
    assert caught.value.field == field
    assert await users.count() == 1


async def test_update_to_a_taken_email_is_a_duplicate(users: UserRepository) -> None:
    await users.create(TestDataFactory.create_user_data())
    second = await users.create(
        TestDataFactory.create_user_data({"username": "second", "email": "second@example.com"})
    )
    with pytest.raises(DuplicateUserError, match="email"):
        await users.update(second.id, {"email": "test@example.com"})
    unchanged = await users.get(second.id)
    assert unchanged is not None
    assert unchanged.email == "second@example.com"


@pytest.mark.parametrize("bad_key", ["id", "role", "email = 'x' --"])
async def test_unknown_or_missing_fields_are_refused(users: UserRepository, bad_key: str) -> None:
    """`create` and `update` are the repository's own: both check names before any SQL."""
    with pytest.raises(ValueError, match="missing user field"):
        await users.create({"username": "nomail"})
    with pytest.raises(ValueError, match="unknown user field"):
        await users.create(TestDataFactory.create_user_data({bad_key: "x"}))
    user = await users.create(TestDataFactory.create_user_data())
    with pytest.raises(ValueError, match="unknown user field"):
        await users.update(user.id, {bad_key: "x"})


async def test_page_and_count_in_id_order(users: UserRepository) -> None:
    for number in range(7):
        await users.create(
            TestDataFactory.create_user_data(
                {"username": f"user{number}", "email": f"u{number}@example.com"}
            )
        )
    page = await users.page(limit=3, offset=2)
    assert [user.username for user in page.items] == ["user2", "user3", "user4"]
    assert page.total == await users.count() == 7
    found = await users.find(email="u6@example.com")
    assert found is not None
    assert found.username == "user6"
    with pytest.raises(ValueError, match="must not be negative"):
        await users.page(limit=-1)


async def test_create_and_update_join_a_transaction(users: UserRepository) -> None:
    """With `tx=`, a user created in a rolled-back transaction is gone with it."""
    database = users.database
    assert isinstance(database, DatabaseService)

    async def create_then_fail() -> None:
        async with database.transaction() as tx:
            user = await users.create(TestDataFactory.create_user_data(), tx=tx)
            assert await users.get(user.id, tx=tx) == user
            raise LookupError

    with pytest.raises(LookupError):
        await create_then_fail()
    assert await users.count() == 0


async def test_concurrent_creates_of_one_username_store_exactly_one(
    users: UserRepository,
) -> None:
    data = TestDataFactory.create_user_data()
    results = await asyncio.gather(
        *(users.create(dict(data)) for _ in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, DuplicateUserError) for r in results if isinstance(r, Exception))


async def test_users_survive_a_restart_on_a_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/users.db"
    first = DatabaseService(url)
    await first.initialize()
    created = await UserRepository(first).create(TestDataFactory.create_user_data())
    await first.close()

    second = DatabaseService(url)
    await second.initialize()
    try:
        assert await UserRepository(second).find(username="testuser") == created
    finally:
        await second.close()
