"""Fakes for the HTTP tests, built from the real classes (`tests.helpers.fake`) and put in
through the container with `override_services`, never by patching a module."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from app.testing import TestDataFactory
from containers import Container, override_services
from providers.cache import CacheService
from providers.database import DatabaseService, Page
from providers.users import UserRepository
from tests.helpers import fake


@pytest.fixture
def mock_services(container: Container) -> Iterator[dict[str, Any]]:
    """Fakes for the database and the cache, each with fixed statistics."""
    database = fake(DatabaseService)
    database.get_stats.return_value = {
        "status": "initialized",
        "total_connections": 5,
        "available_connections": 3,
        "in_use_connections": 2,
    }
    cache = fake(CacheService)
    cache.get_stats.return_value = {
        "status": "initialized",
        "entries": 100,
        "hit_count": 50,
        "miss_count": 10,
        "hit_rate": "83.3%",
    }
    with override_services(container, database=database, cache=cache):
        yield {"database": database, "cache": cache}


@pytest.fixture
def mock_users(container: Container, data_factory: TestDataFactory) -> Iterator[Any]:
    """A fake user repository holding one user."""
    users = fake(UserRepository)
    stored = data_factory.create_user()
    users.create.return_value = stored
    users.page.return_value = Page([stored], 1)
    with override_services(container, users=users):
        yield users


@pytest.fixture
async def users(database_url: str) -> AsyncIterator[UserRepository]:
    """The user repository on an empty, migrated database, once per dialect."""
    database = DatabaseService(database_url)
    await database.initialize()
    yield UserRepository(database)
    await database.close()
