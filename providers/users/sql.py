"""User repository in SQL, written once for every dialect `DatabaseService` speaks.

Only how a driver reports a unique-constraint violation differs, so each backend module
is a subclass that says just that.
"""

import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any

from providers.database import DatabaseService
from providers.users.base import DuplicateUserError, User, checked_columns

_SELECT = "SELECT id, username, email, password_hash, is_active, created_at, updated_at FROM users"
_RETURNING = "RETURNING id, username, email, password_hash, is_active, created_at, updated_at"


def _to_user(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        password_hash=row["password_hash"],
        is_active=bool(row["is_active"]),
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        updated_at=datetime.fromtimestamp(row["updated_at"], UTC),
    )


class SQLUserBackend(ABC):
    """Users on a `DatabaseService`: its own pool (`Backend(url)`) or a shared one."""

    def __init__(self, url: str | None = None, *, database: DatabaseService | None = None) -> None:
        if database is not None and url is not None:
            raise ValueError("pass either url or database, not both")
        self._owns_database = database is None
        self.database = database if database is not None else DatabaseService(url)

    async def initialize(self) -> None:
        """Open the pool this backend owns; a shared pool is opened by its owner."""
        if self._owns_database:
            await self.database.initialize()

    async def close(self) -> None:
        if self._owns_database:
            await self.database.close()

    async def create_user(self, data: dict[str, Any]) -> User:
        """Insert a user; a taken username or email raises `DuplicateUserError`."""
        values = checked_columns(dict(data), required=("username", "email"))
        values.setdefault("is_active", True)
        values.setdefault("password_hash", None)
        now = time.time()
        values["created_at"] = values["updated_at"] = now
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        sql = f"INSERT INTO users ({columns}) VALUES ({placeholders}) {_RETURNING}"
        return _to_user((await self._write(sql, values))["rows"][0])

    async def get_user_by_id(self, user_id: int) -> User | None:
        return await self._one(f"{_SELECT} WHERE id = :id", {"id": user_id})

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._one(f"{_SELECT} WHERE username = :username", {"username": username})

    async def get_user_by_email(self, email: str) -> User | None:
        return await self._one(f"{_SELECT} WHERE email = :email", {"email": email})

    async def update_user(self, user_id: int, updates: dict[str, Any]) -> User | None:
        """Change the given fields; None when the user does not exist."""
        values = checked_columns(dict(updates))
        if not values:
            return await self.get_user_by_id(user_id)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        sql = (
            f"UPDATE users SET {assignments}, updated_at = :updated_at WHERE id = :id {_RETURNING}"
        )
        result = await self._write(sql, {**values, "updated_at": time.time(), "id": user_id})
        return _to_user(result["rows"][0]) if result["rows"] else None

    async def delete_user(self, user_id: int) -> bool:
        result = await self.database.execute_query(
            "DELETE FROM users WHERE id = :id", {"id": user_id}
        )
        return bool(result["affected"])

    async def list_users(self, limit: int = 50, offset: int = 0) -> list[User]:
        """One page of users in id order."""
        if limit < 0 or offset < 0:
            raise ValueError(
                f"limit and offset must not be negative, got limit={limit}, offset={offset}"
            )
        sql = f"{_SELECT} ORDER BY id LIMIT :limit OFFSET :offset"
        result = await self.database.execute_query(sql, {"limit": limit, "offset": offset})
        return [_to_user(row) for row in result["rows"]]

    async def count_users(self) -> int:
        result = await self.database.execute_query("SELECT COUNT(*) AS total FROM users")
        return int(result["rows"][0]["total"])

    async def _one(self, sql: str, params: dict[str, Any]) -> User | None:
        rows = (await self.database.execute_query(sql, params))["rows"]
        return _to_user(rows[0]) if rows else None

    async def _write(self, sql: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.database.execute_query(sql, params)
        except Exception as error:
            field = self.duplicate_field(error)
            if field is None:
                raise
            raise DuplicateUserError(field) from error

    @abstractmethod
    def duplicate_field(self, error: Exception) -> str | None:
        """The unique column a failed write collided on, or None for any other error."""
