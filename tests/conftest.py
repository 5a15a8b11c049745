"""Fixtures shared across unit, integration and performance tests."""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test sees only its own settings: no stray APP_* variables, no developer .env.

    Running from an empty folder also keeps the default SQLite file out of the checkout.
    """
    for name in list(os.environ):
        if name.startswith("APP_") and not name.startswith("APP_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
async def database_service() -> AsyncIterator[DatabaseService]:
    """A real pool over a private in-memory SQLite database."""
    service = DatabaseService()
    await service.initialize()
    yield service
    await service.close()


@pytest.fixture
async def cache_service() -> AsyncIterator[CacheService]:
    """The guide's small cache: ten entries, one-second default TTL."""
    service = CacheService(max_size=10, default_ttl=1)
    await service.initialize()
    yield service
    await service.close()


@pytest.fixture
async def background_service() -> AsyncIterator[BackgroundService]:
    """A scheduler that is always stopped after the test."""
    service = BackgroundService()
    yield service
    if service.is_running:
        await service.stop()
