"""Settings alone move the container to PostgreSQL and Redis: no code changes."""

from pathlib import Path

import pytest

from app.pytest_plugin import isolated_settings
from config import Settings
from containers import Container
from providers.backends.postgres import PostgresBackend
from providers.background.locks.redis import RedisTaskLock


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
        assert isinstance(users, PostgresBackend)
        assert cache.get_stats()["backend"] == "redis"
        assert isinstance(background.lock, RedisTaskLock)  # the lock follows the cache
        user = await users.create_user({"username": "ada", "email": "ada@example.com"})
        await cache.set(f"user:{user.id}", {"username": user.username})
        assert await cache.get(f"user:{user.id}") == {"username": "ada"}
    finally:
        await container.shutdown_resources()
