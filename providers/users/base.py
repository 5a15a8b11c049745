"""What every user repository returns and raises, whichever database is behind it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

USER_COLUMNS = ("username", "email", "password_hash", "is_active")
"""Columns a caller may set; anything else is refused before it reaches SQL."""


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


class DuplicateUserError(ValueError):
    """Another user already has this username or email (the API answers 409)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"a user with this {field} already exists")
        self.field = field


def checked_columns(data: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Refuse unknown or missing columns, so only whitelisted names are ever put in SQL."""
    unknown = sorted(set(data) - set(USER_COLUMNS))
    if unknown:
        raise ValueError(
            f"unknown user field(s): {', '.join(unknown)}; allowed: {', '.join(USER_COLUMNS)}"
        )
    missing = [name for name in required if data.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing user field(s): {', '.join(missing)}")
    return data


class UserBackend(Protocol):
    """The user repository interface shared by the SQLite and PostgreSQL backends."""

    async def initialize(self) -> None: ...
    async def close(self) -> None: ...
    async def create_user(self, data: dict[str, Any]) -> User: ...
    async def get_user_by_id(self, user_id: int) -> User | None: ...
    async def get_user_by_username(self, username: str) -> User | None: ...
    async def get_user_by_email(self, email: str) -> User | None: ...
    async def update_user(self, user_id: int, updates: dict[str, Any]) -> User | None: ...
    async def delete_user(self, user_id: int) -> bool: ...
    async def list_users(self, limit: int = 50, offset: int = 0) -> list[User]: ...
    async def count_users(self) -> int: ...
