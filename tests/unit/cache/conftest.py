"""Fixtures for the cache service's unit tests."""

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from app.testing import FakeClock
from providers.cache import CacheService

MakeCache = Callable[..., Awaitable[CacheService]]


@pytest.fixture
async def make_cache(clock: FakeClock) -> AsyncIterator[MakeCache]:
    """Builds initialized caches on the fake clock and closes them after the test."""
    made: list[CacheService] = []

    async def make(max_size: int = 10, default_ttl: float = 60.0) -> CacheService:
        service = CacheService(max_size=max_size, default_ttl=default_ttl, clock=clock)
        await service.initialize()
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()
