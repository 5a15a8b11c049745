"""Fixtures shared across unit, integration and performance tests."""

from collections.abc import AsyncIterator

import pytest

from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService


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
