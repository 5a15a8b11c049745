"""The users table's sign-in columns on both dialects: `is_admin`, and `token_version`,
which a password change or a deactivation bumps (revoking the tokens issued before)."""

from providers.users import UserRepository


async def test_a_new_user_is_no_admin_at_version_zero(users: UserRepository) -> None:
    ada = await users.create({"username": "ada", "email": "ada@example.com"})
    assert (ada.is_admin, ada.token_version) == (False, 0)
    root = await users.create({"username": "root", "email": "r@example.com", "is_admin": True})
    assert root.is_admin is True
    assert await users.find(email="r@example.com") == root


async def test_password_changes_and_deactivation_bump_the_version(users: UserRepository) -> None:
    ada = await users.create({"username": "ada", "email": "ada@example.com"})
    versions = []
    for change in (
        {"username": "countess"},
        {"password_hash": "$argon2id$new"},
        {"is_active": False},
        {"is_active": True},
        {"is_admin": True},
    ):
        updated = await users.update(ada.id, change)
        assert updated is not None
        versions.append(updated.token_version)
    assert versions == [0, 1, 2, 2, 2]


async def test_bumping_an_absent_user_changes_nothing(users: UserRepository) -> None:
    assert await users.update(404, {"password_hash": "$argon2id$x"}) is None
    assert await users.count() == 0
