"""Fixtures for the HTTP application: one container and one app per test, in memory.

Services are swapped with `override_services(container, ...)`, the documented way, never
by patching a module. The settings never read a developer's `.env` or touch `./data/`.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock

import httpx
import pytest
import redis
import redis.asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from config import Settings
from containers import Container, override_services
from providers.users.base import User


def make_settings(**overrides: Any) -> Settings:
    """Test settings: in-memory SQLite, no API key, no `.env`; pass fields to change."""
    values: dict[str, Any] = {
        "environment": "test",
        "reload_mode": False,
        "api_key": None,
        "database": {"url": "sqlite:///:memory:"},
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_user(**overrides: Any) -> User:
    """A stored user as a repository returns it (for fake repositories)."""
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": 1,
        "username": "testuser",
        "email": "test@example.com",
        "password_hash": None,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(overrides)
    return User(**values)


@pytest.fixture
def settings() -> Settings:
    """Override in a test module to run its apps with other settings."""
    return make_settings()


@pytest.fixture
def container(settings: Settings) -> Container:
    container = Container()
    container.settings.override(settings)
    return container


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The guide's client, with the lifespan running (services started, then closed)."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
async def async_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the test's own event loop, inside the app's lifespan."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def mock_services(container: Container) -> Iterator[dict[str, AsyncMock]]:
    """The guide's fakes for the database and the cache, put in through the container."""
    database = AsyncMock()
    database.get_stats.return_value = {
        "status": "initialized",
        "total_connections": 5,
        "available_connections": 3,
        "in_use_connections": 2,
    }
    cache = AsyncMock()
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
def mock_users(container: Container) -> Iterator[AsyncMock]:
    """A fake user repository holding the guide's one user."""
    users = AsyncMock()
    stored = make_user()
    users.create_user.return_value = stored
    users.list_users.return_value = [stored]
    users.count_users.return_value = 1
    with override_services(container, users=users):
        yield users


# --- Redis ----------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """The Redis server CI provides (APP_TEST_REDIS_URL); tests that need it skip without it."""
    url = os.environ.get("APP_TEST_REDIS_URL")
    if not url:
        pytest.skip("APP_TEST_REDIS_URL not set: Redis tests need a server")
    return url


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A fresh key namespace for one test; every key starting with it is unlinked afterwards.

    Only those keys: the shared server is never flushed.
    """
    namespace = f"wirework-test-{uuid.uuid4().hex[:16]}"
    yield namespace
    with redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5) as client:
        names = list(client.scan_iter(match=f"{namespace}*", count=500))
        if names:
            client.unlink(*names)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator["redis.asyncio.Redis"]:
    """A plain client for looking at what the code under test wrote."""
    client = redis.asyncio.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    yield client
    await client.aclose()
