"""Fakes and async helpers shared by every test module.

`FakeClock` and `TestDataFactory` live in Wirework's pytest plugin (`app.testing`), which
applications' tests use too.
"""

import asyncio
import io
import logging
import logging.config
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar
from unittest.mock import MagicMock, create_autospec

from dependency_injector import containers

from app.observability import LOGGED_PACKAGES, logging_config
from config import LogSettings
from containers.discovery import services

__all__ = [
    "AsyncTestHelper",
    "GatedFactory",
    "captured_logs",
    "dependency_edges",
    "fake",
    "plain_fake",
]

T = TypeVar("T")


def dependency_edges(container: containers.Container) -> dict[str, tuple[str, ...]]:
    """Service path -> the paths of the services it depends on, in start order."""
    return {service.path: service.depends_on for service in services(container)}


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


class GatedFactory:
    """A factory whose calls wait for `gate.set()`, counting how often it is awaited."""

    def __init__(self, value: Any = "fresh", error: Exception | None = None) -> None:
        self.value = value
        self.error = error
        self.calls = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> Any:
        self.calls += 1
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.value


@contextmanager
def captured_logs(log_format: Literal["text", "json"]) -> Iterator[io.StringIO]:
    """Wirework's logging configured as `serve` does it, writing into a buffer; the loggers
    are restored afterwards."""
    saved = {name: logging.getLogger(name).__dict__.copy() for name in LOGGED_PACKAGES}
    config = logging_config(LogSettings(format=log_format))
    stream = io.StringIO()
    config["handlers"]["default"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        for name, state in saved.items():
            logging.getLogger(name).__dict__.update(state)


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
