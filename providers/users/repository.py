"""The user repository: one class for every dialect, built on the generic `Repository`."""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from providers.database import DatabaseService
from providers.database.pools.base import UniqueViolationError
from providers.database.repository import QueryRunner, Repository
from providers.users.base import USER_COLUMNS, DuplicateUserError, User


class UserRepository(Repository[User]):
    """Users on a `DatabaseService`: its own pool (`UserRepository(url)`) or a shared one.

    Every method takes `tx=` to run inside a caller's transaction.
    """

    table = "users"
    model = User
    columns = USER_COLUMNS
    required = ("username", "email")
    noun = "user"

    def __init__(self, url: str | None = None, *, database: DatabaseService | None = None) -> None:
        if database is not None and url is not None:
            raise ValueError("pass either url or database, not both")
        self._owns_database = database is None
        self.service = database if database is not None else DatabaseService(url)
        super().__init__(self.service)

    async def initialize(self) -> None:
        """Open the pool this repository owns; a shared pool is opened by its owner."""
        if self._owns_database:
            await self.service.initialize()

    async def close(self) -> None:
        if self._owns_database:
            await self.service.close()

    def to_model(self, row: Mapping[str, Any]) -> User:
        return User(
            id=row["id"],
            username=row["username"],
            email=row["email"],
            password_hash=row["password_hash"],
            is_active=bool(row["is_active"]),
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
            updated_at=datetime.fromtimestamp(row["updated_at"], UTC),
        )

    async def create_user(self, data: Mapping[str, Any], *, tx: QueryRunner | None = None) -> User:
        """Insert a user; a taken username or email raises `DuplicateUserError`."""
        values = {"is_active": True, "password_hash": None}
        values.update(self.checked(data, required=self.required))
        now = time.time()
        try:
            return await self.insert_row({**values, "created_at": now, "updated_at": now}, tx=tx)
        except UniqueViolationError as error:
            raise DuplicateUserError(_field(error)) from error

    async def get_user_by_id(self, user_id: int, *, tx: QueryRunner | None = None) -> User | None:
        return await self.get(user_id, tx=tx)

    async def get_user_by_username(
        self, username: str, *, tx: QueryRunner | None = None
    ) -> User | None:
        return await self.find(username=username, tx=tx)

    async def get_user_by_email(self, email: str, *, tx: QueryRunner | None = None) -> User | None:
        return await self.find(email=email, tx=tx)

    async def update_user(
        self, user_id: int, updates: Mapping[str, Any], *, tx: QueryRunner | None = None
    ) -> User | None:
        """Change the given fields; None when the user does not exist."""
        values = self.checked(updates)
        if not values:
            return await self.get(user_id, tx=tx)
        try:
            return await self.update_row(user_id, {**values, "updated_at": time.time()}, tx=tx)
        except UniqueViolationError as error:
            raise DuplicateUserError(_field(error)) from error

    async def delete_user(self, user_id: int, *, tx: QueryRunner | None = None) -> bool:
        return await self.delete(user_id, tx=tx)

    async def list_users(
        self, limit: int = 50, offset: int = 0, *, tx: QueryRunner | None = None
    ) -> list[User]:
        """One page of users in id order."""
        return await self.items(limit=limit, offset=offset, tx=tx)

    async def count_users(self, *, tx: QueryRunner | None = None) -> int:
        return await self.count(tx=tx)


def _field(error: UniqueViolationError) -> str:
    """The column a duplicate collided on: 'email' from users(email) or 'users_email_key'."""
    if error.columns:
        return error.columns[0]
    return error.constraint.removeprefix("users_").removesuffix("_key")
