"""What every user repository returns and raises, whichever database is behind it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from providers.database.repository import QueryRunner

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


class UserBackend(Protocol):
    """The user repository interface; `tx=` runs a method inside a caller's transaction."""

    async def initialize(self) -> None: ...
    async def close(self) -> None: ...
    async def create_user(self, data: dict[str, Any], *, tx: QueryRunner | None = None) -> User: ...
    async def get_user_by_id(
        self, user_id: int, *, tx: QueryRunner | None = None
    ) -> User | None: ...
    async def get_user_by_username(
        self, username: str, *, tx: QueryRunner | None = None
    ) -> User | None: ...
    async def get_user_by_email(
        self, email: str, *, tx: QueryRunner | None = None
    ) -> User | None: ...
    async def update_user(
        self, user_id: int, updates: dict[str, Any], *, tx: QueryRunner | None = None
    ) -> User | None: ...
    async def delete_user(self, user_id: int, *, tx: QueryRunner | None = None) -> bool: ...
    async def list_users(
        self, limit: int = 50, offset: int = 0, *, tx: QueryRunner | None = None
    ) -> list[User]: ...
    async def count_users(self, *, tx: QueryRunner | None = None) -> int: ...
