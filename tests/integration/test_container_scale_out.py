"""Settings alone move the container to PostgreSQL and Redis: no code changes."""

from pathlib import Path

import pytest

from app.testing import isolated_settings
from config import Settings
from containers import Container
from providers.background.locks.redis import RedisTaskLock
from providers.errors import ServiceStartError
from providers.users import UserRepository


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str, redis_url: str, redis_namespace: str) -> Settings:
    return isolated_settings(
        tmp_path,
        database={"url": postgres_url},
        cache={"backend": "redis", "url": redis_url, "namespace": redis_namespace},
    )


@pytest.mark.postgres
@pytest.mark.redis
async def test_postgres_and_redis_by_settings_only(container: Container) -> None:
    await container.init_resources()
    try:
        database = await container.database()
        cache = await container.cache()
        background = await container.background()
        users = await container.users()
        assert database.dialect == "postgresql"
        assert isinstance(users, UserRepository)
        assert cache.get_stats()["backend"] == "redis"
        assert isinstance(background.lock, RedisTaskLock)  # the lock follows the cache
        user = await users.create({"username": "ada", "email": "ada@example.com"})
        await cache.set(f"user:{user.id}", {"username": user.username})
        assert await cache.get(f"user:{user.id}") == {"username": "ada"}
    finally:
        await container.shutdown_resources()


@pytest.mark.postgres
async def test_the_connect_timeout_setting_reaches_the_pool(
    tmp_path: Path, postgres_url: str
) -> None:
    # A connection cannot open within a microsecond: start-up fails only if the setting
    # got through (the default of 10 s would let it start).
    settings = isolated_settings(
        tmp_path, database={"url": postgres_url, "connect_timeout": 0.000_001}
    )
    container = Container()
    container.settings.override(settings)
    with pytest.raises(ServiceStartError, match=r"cannot connect to PostgreSQL.*TimeoutError"):
        await container.init_resources()
