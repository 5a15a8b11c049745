"""Fixtures shared by every test; `settings`, `container`, `app`, `client`, `clock` and
`data_factory` come from Wirework's own pytest plugin (`app.testing`)."""

import asyncio
import os
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis
import redis.asyncio
from argon2 import PasswordHasher, profiles

from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from providers.users import passwords
from tests.servers import RedisServerProcess


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per skip reason, with how many tests it skipped, rather than one per test:
    without PostgreSQL and Redis a hundred tests skip for two reasons."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            reasons[report.longrepr[2].removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.section("skipped, by reason", sep="-")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"SKIPPED [{count}] {reason}")


@pytest.hookimpl(trylast=True)  # after the other conftests have marked their tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` run first, in their order, then the rest: on several workers the
    run then ends with short tests spread over all of them, not one long test on one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Code that reads settings itself (the command line, servers started by a test) sees no
    stray APP_* variable and no developer `.env`: it runs in the test's own empty folder.

    APP_TEST_* variables stay: they say where the PostgreSQL and Redis test servers are;
    APP_ENVIRONMENT is `test`, which selects `.env.test`.
    """
    for name in list(os.environ):
        if name.startswith("APP_") and not name.startswith("APP_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.chdir(tmp_path)


CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest costs, which tests cannot tell from the real ones except by
    time: the recommended costs spend a third of a CPU second per hash. Tests marked
    `real_password_costs` keep them. Servers started as processes keep them too."""
    if request.node.get_closest_marker("real_password_costs") is None:
        monkeypatch.setattr(passwords, "hasher", CHEAP_HASHER)


@pytest.fixture
async def database_service() -> AsyncIterator[DatabaseService]:
    """A real pool over a private in-memory SQLite database."""
    service = DatabaseService()
    await service.initialize()
    yield service
    await service.close()


@pytest.fixture
async def cache_service() -> AsyncIterator[CacheService]:
    """A small cache: ten entries, one-second default TTL."""
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


# --- PostgreSQL -----------------------------------------------------------------------------


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database per test: a SQLite file, and PostgreSQL when its server is there."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def second_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[str]:
    """Another fresh database of the same kind as `database_url`, for a second service."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    server_url = str(request.getfixturevalue("postgres_server_url"))
    name = f"{urlsplit(database_url).path.lstrip('/')}_second"
    _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
