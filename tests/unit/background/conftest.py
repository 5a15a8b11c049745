"""Fixtures for the scheduler's unit tests."""

from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import AsyncMock

import pytest

from providers.background import BackgroundService


@pytest.fixture
def mock_task() -> AsyncMock:
    """An async task function that records its calls."""
    return AsyncMock()


@pytest.fixture
async def make_service() -> AsyncIterator[Callable[..., BackgroundService]]:
    """Builds services with custom arguments (fake clock, fake lock...); closes them after.

    A fake `clock` is the wall clock too, so the grid of a task given an `offset` follows it.
    """
    made: list[BackgroundService] = []

    def make(**options: Any) -> BackgroundService:
        if "clock" in options:
            options.setdefault("wall_clock", options["clock"])
        service = BackgroundService(**options)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()
