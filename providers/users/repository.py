"""The user repository: the generic `Repository` over the `users` table, on either dialect."""

import contextlib
import time
from collections.abc import Iterator, Mapping
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
    """Users on the application's `DatabaseService`: writes stamp the times and raise
    `DuplicateUserError`; a new password or deactivation revokes the user's tokens."""

    table = "users"
    model = User
    columns = ("username", "email", "password_hash", "is_active", "is_admin")
    required = ("username", "email")
    noun = "user"

    def to_model(self, row: Mapping[str, Any]) -> User:
        """SQLite's 0/1 as a bool and epoch seconds as UTC datetimes, on both dialects."""
        stamps = {name: datetime.fromtimestamp(row[name], UTC) for name in _STAMPS}
        return super().to_model({**row, **stamps, **{name: bool(row[name]) for name in _FLAGS}})

    async def insert_row(self, row: Mapping[str, Any], *, tx: QueryRunner | None = None) -> User:
        now = time.time()
        with _duplicate_user():
            return await super().insert_row({**row, "created_at": now, "updated_at": now}, tx=tx)

    async def update_row(
        self, row_id: int, row: Mapping[str, Any], *, tx: QueryRunner | None = None
    ) -> User | None:
        if not row:
            return await self.get(row_id, tx=tx)
        if "password_hash" in row or row.get("is_active") is False:
            # Revoked first: should the update then fail, old tokens are lost, never kept.
            sql = f"UPDATE {self.table} SET token_version = token_version + 1 WHERE id = :id"
            await (tx or self.database).execute_query(sql, {"id": row_id})
        with _duplicate_user():
            return await super().update_row(row_id, {**row, "updated_at": time.time()}, tx=tx)


@contextlib.contextmanager
def _duplicate_user() -> Iterator[None]:
    """A taken username or email as `DuplicateUserError`, naming the column (PostgreSQL's
    constraint 'users_email_key' when the server gave no column)."""
    try:
        yield
    except UniqueViolationError as error:
        field = error.columns[0] if error.columns else error.constraint
        raise DuplicateUserError(field.removeprefix("users_").removesuffix("_key")) from error
