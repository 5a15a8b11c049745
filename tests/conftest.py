"""Fixtures shared across unit, integration and performance tests."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from tests.servers import RedisServerProcess


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test sees only its own settings: no stray APP_* variables, no developer .env.

    Running from an empty folder also keeps the default SQLite file out of the checkout.
    """
    for name in list(os.environ):
        if name.startswith("APP_") and not name.startswith("APP_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.chdir(tmp_path)


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


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server CI provides; tests that need it skip cleanly without it."""
    url = os.environ.get("APP_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("APP_TEST_POSTGRES_URL not set: PostgreSQL tests need a server")
    return url


def _admin(server_url: str, statement: str) -> None:
    """Run one statement on the server from a thread of its own, outside the test's loop."""

    async def run() -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, run()).result()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards: runs never share data."""
    name = f"wirework_test_{uuid.uuid4().hex[:16]}"
    _admin(postgres_server_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/{name}"))
    finally:
        _admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def spare_redis(tmp_path: Path) -> AsyncIterator[RedisServerProcess]:
    """A running private Redis server that the test may stop and restart (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed: outage tests start a Redis server of their own")
    server = RedisServerProcess(binary, tmp_path)
    await server.start()
    yield server
    await server.stop()
