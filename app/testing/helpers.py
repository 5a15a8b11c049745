"""Test doubles for time and data: a clock tests move by hand, valid user records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.users import User


class FakeClock:
    """A monotonic clock that moves only when a test advances it: pass it as `clock=` to
    `CacheService`, `BackgroundService` or a task lock."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds} s)")
        self.now += seconds


class TestDataFactory:
    """Valid user records for tests; `overrides` vary single fields."""

    __test__ = False  # not a test class despite its name

    @staticmethod
    def create_user_data(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What a repository's `create` takes: the user `testuser`."""
        return {
            "username": "testuser",
            "email": "test@example.com",
            "password_hash": "hashed_password",
            "is_active": True,
            **(overrides or {}),
        }

    @staticmethod
    def create_user(overrides: Mapping[str, Any] | None = None) -> User:
        """A stored user as a repository returns it: what a fake repository should give."""
        from providers.users import User  # noqa: PLC0415

        moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        data = TestDataFactory.create_user_data({"id": 1, "password_hash": None})
        return User(**data | {"created_at": moment, "updated_at": moment, **(overrides or {})})
