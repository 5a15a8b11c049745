"""Test data and async helpers shared by every test module (the guide's utilities, once)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TestDataFactory:
    """Builds valid records for tests; pass overrides to vary one field."""

    __test__ = False  # not a pytest test class despite the name

    @staticmethod
    def create_user_data(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "username": "testuser",
            "email": "test@example.com",
            "password_hash": "hashed_password",
            "is_active": True,
        }
        data.update(overrides or {})
        return data


class AsyncTestHelper:
    """Waits on conditions instead of sleeping a fixed time."""

    @staticmethod
    async def wait_for_condition(
        condition: Callable[[], bool], timeout: float = 1.0, interval: float = 0.01
    ) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            await asyncio.sleep(interval)
        return condition()

    @staticmethod
    async def run_with_timeout(awaitable: Awaitable[T], timeout: float = 1.0) -> T:
        try:
            return await asyncio.wait_for(awaitable, timeout=timeout)
        except TimeoutError:
            raise AssertionError(f"operation timed out after {timeout} seconds") from None


class FakeClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
