"""Failed sign-ins counted in Redis: every instance sees the same counts; while Redis is
unreachable each instance still counts on its own."""

import pytest
import redis.asyncio

from providers.auth import LoginLimiter, create_login_limiter


def limiter(url: str, namespace: str) -> LoginLimiter:
    return create_login_limiter(
        "redis", url=url, namespace=namespace, per_email=2, per_client=100, window=60
    )


async def test_instances_share_the_counts(
    redis_url: str, redis_namespace: str, redis_client: redis.asyncio.Redis
) -> None:
    first, second = limiter(redis_url, redis_namespace), limiter(redis_url, redis_namespace)
    try:
        await first.failed("ada@example.com", "10.0.0.1")
        assert await second.retry_after("ada@example.com", "10.0.0.2") is None
        await second.failed("ada@example.com", "10.0.0.2")
        wait = await first.retry_after("ada@example.com", "10.0.0.3")
        assert wait is not None
        assert 0 < wait <= 60
        key = f"{redis_namespace}:signin:email:ada@example.com"
        assert 0 < await redis_client.pttl(key) <= 60_000
        await second.succeeded("ADA@example.com")
        assert await first.retry_after("ada@example.com", "10.0.0.3") is None
    finally:
        await first.close()
        await second.close()


async def test_without_redis_an_instance_counts_alone() -> None:
    unreachable = limiter("redis://127.0.0.1:1/0", "wirework-test")
    try:
        for _ in range(2):
            await unreachable.failed("ada@example.com", "10.0.0.1")
        assert await unreachable.retry_after("ada@example.com", "10.0.0.1") == pytest.approx(
            60, abs=1
        )
    finally:
        await unreachable.close()
