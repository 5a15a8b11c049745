"""Building cache stores: the factory the container calls, and options refused up front.

No server is needed: stores connect lazily, so everything here fails (or not) without I/O.
"""

import math
from typing import Any

import pytest
from pydantic import ValidationError

from config import CacheSettings
from providers.cache.stores import MemoryStore, create_cache_store
from providers.cache.stores.redis import RedisStore


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"namespace": ""}, "namespace must not be empty"),
        ({"fill_lease": 0}, "fill_lease must be a positive"),
        ({"socket_timeout": -1}, "socket_timeout must be a positive"),
        ({"socket_timeout": math.inf}, "socket_timeout must be a positive"),
        ({"retry_after": math.nan}, "retry_after must be a positive"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RedisStore("redis://127.0.0.1:6379/0", **options)


def test_a_url_that_is_not_redis_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RedisStore("http://127.0.0.1:6379")


async def test_the_factory_builds_the_store_the_settings_name() -> None:
    memory = create_cache_store("memory", url=None, namespace="unused", max_size=5)
    shared = create_cache_store("redis", url="redis://127.0.0.1:6379/0", namespace="a", max_size=5)

    assert isinstance(memory, MemoryStore)
    assert isinstance(shared, RedisStore)
    await shared.close()  # built without I/O: nothing to wait for


def test_the_settings_refuse_redis_without_a_url() -> None:
    """The rule lives where the value enters: the factory trusts the settings."""
    with pytest.raises(ValidationError, match="backend 'redis' needs url"):
        CacheSettings(backend="redis")


def test_the_client_takes_only_options_every_supported_redis_py_knows() -> None:
    """`redis>=5` is supported: redis-py 7.1 and older reject `driver_info` on every call."""
    store = RedisStore("redis://127.0.0.1:6379/0")

    assert "driver_info" not in store._redis.connection_pool.connection_kwargs
