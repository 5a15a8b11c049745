"""Settings alone move the container to PostgreSQL and Redis: no code changes."""

import pytest

from config import Settings
from containers import Container
from providers.backends.postgres import PostgresBackend
from providers.background.locks.redis import RedisTaskLock


@pytest.mark.postgres
@pytest.mark.redis
async def test_postgres_and_redis_by_settings_only(
    postgres_url: str, redis_url: str, redis_namespace: str
) -> None:
    container = Container()
    container.settings.override(
        Settings(
            database={"url": postgres_url},
            cache={"backend": "redis", "url": redis_url, "namespace": redis_namespace},
        )
    )
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
