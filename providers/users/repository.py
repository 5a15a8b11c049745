"""The user repository: the generic `Repository` over the `users` table, on either dialect."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from providers.database import QueryRunner, Repository, UniqueViolationError

_STAMPS = ("created_at", "updated_at")
_FLAGS = ("is_active", "is_admin")


@dataclass(frozen=True, slots=True)
class User:
    """A stored user; `password_hash` never leaves the application layer."""

    id: int
    username: str
    email: str
    password_hash: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    is_admin: bool = False
    token_version: int = 0  # in every access token; bumping it revokes the ones issued before


class DuplicateUserError(ValueError):
    """Another user already has this username or email (the API answers 409)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"a user with this {field} already exists")
        self.field = field


class UserRepository(Repository[User]):
    """Users on the application's `DatabaseService`: `create` and `update` stamp the times and
    raise `DuplicateUserError`; a new password or deactivation revokes the user's tokens."""

    table = "users"
    model = User
    columns = ("username", "email", "password_hash", "is_active", "is_admin")
    required = ("username", "email")
    noun = "user"

    def to_model(self, row: Mapping[str, Any]) -> User:
        """SQLite's 0/1 as a bool and epoch seconds as UTC datetimes, on both dialects."""
        stamps = {name: datetime.fromtimestamp(row[name], UTC) for name in _STAMPS}
        return super().to_model({**row, **stamps, **{name: bool(row[name]) for name in _FLAGS}})

    async def create(self, values: Mapping[str, Any], *, tx: QueryRunner | None = None) -> User:
        """Insert a user; a taken username or email raises `DuplicateUserError`."""
        row = {"is_active": True, "password_hash": None}
        row.update(self.checked(values, required=self.required))
        now = time.time()
        try:
            return await self.insert_row({**row, "created_at": now, "updated_at": now}, tx=tx)
        except UniqueViolationError as error:
            raise DuplicateUserError(_field(error)) from error

    async def update(
        self, row_id: int, values: Mapping[str, Any], *, tx: QueryRunner | None = None
    ) -> User | None:
        """Change the given fields; None when the user does not exist."""
        changes = self.checked(values)
        if not changes:
            return await self.get(row_id, tx=tx)
        if "password_hash" in changes or changes.get("is_active") is False:
            # Revoked first: should the update then fail, old tokens are lost, never kept.
            sql = f"UPDATE {self.table} SET token_version = token_version + 1 WHERE id = :id"
            await self._runner(tx).execute_query(sql, {"id": row_id})
        try:
            return await self.update_row(row_id, {**changes, "updated_at": time.time()}, tx=tx)
        except UniqueViolationError as error:
            raise DuplicateUserError(_field(error)) from error


def _field(error: UniqueViolationError) -> str:
    """The column a duplicate collided on: 'email' from users(email) or 'users_email_key'."""
    if error.columns:
        return error.columns[0]
    return error.constraint.removeprefix("users_").removesuffix("_key")
