"""Fakes and async helpers shared by every test module.

`FakeClock` and `TestDataFactory` live in Wirework's pytest plugin (`app.testing`), which
applications' tests use too.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from unittest.mock import MagicMock, create_autospec

__all__ = ["AsyncTestHelper", "fake", "plain_fake"]

T = TypeVar("T")


def fake(real_class: type) -> Any:
    """A fake instance of `real_class` with only its real methods and attributes.

    A method renamed or removed in the real class breaks the test that uses it, and async
    methods stay awaitable (`create_autospec` makes them `AsyncMock`s).
    """
    return create_autospec(real_class, instance=True, spec_set=True)


def plain_fake(real_class: type) -> Any:
    """A fake with only `real_class`'s names, every method synchronous (`MagicMock`).

    For the plain objects users pass: the container and the endpoints must accept them as
    well as async fakes. A spec given as a list of names keeps coroutines out.
    """
    return MagicMock(spec_set=dir(real_class))


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
