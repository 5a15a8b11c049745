"""Fixtures for the HTTP application: one container and one app per test, in memory.

Services are swapped with `override_services(container, ...)`, the documented way, never
by patching a module. The settings never read a developer's `.env` or touch `./data/`.
"""

import asyncio
import os
import shutil
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
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
from providers.backends.base import User


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


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServerProcess:
    """A private redis-server on a spare loopback port, for tests that take Redis down.

    It keeps nothing on disk, so a restart on the same port comes back empty.
    """

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = _free_loopback_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._binary = binary
        self._directory = directory
        self._process: asyncio.subprocess.Process | None = None
        self._paused = False

    async def start(self) -> None:
        """Start the server (again) on `port` and wait until it answers PING."""
        self._process = await asyncio.create_subprocess_exec(
            self._binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._directory)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while not await self._answers():
                if self._process.returncode is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited at start-up")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Terminate the server and wait for it to exit; clients now get connection refused."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if self._paused:
            self.resume()
        process.terminate()
        await process.wait()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Unfreeze the server (SIGCONT); it answers what was sent meanwhile."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)
        self._paused = False

    async def _answers(self) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return await reader.readline() == b"+PONG\r\n"
        except OSError:
            return False
        finally:
            writer.close()


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
