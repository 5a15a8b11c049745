"""RedisStore on a real server: namespaced JSON entries, native expiry, counters, and outages.

What every store does is tested once, for all of them, in `test_cache_contract.py`.

The shared server (APP_TEST_REDIS_URL) is only read and written under a fresh namespace; the
outage cases stop and freeze a private server of their own (`spare_redis`).
"""

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from providers.cache.stores import MISSING, CacheStore
from providers.cache.stores.redis import RedisStore
from tests.servers import RedisServerProcess

pytestmark = pytest.mark.redis

MakeStore = Callable[..., RedisStore]


@pytest.fixture
async def make_store(redis_url: str, redis_namespace: str) -> AsyncIterator[MakeStore]:
    """Builds stores on the test's namespace (unless given another) and closes them after."""
    made: list[RedisStore] = []

    def make(url: str = redis_url, **options: Any) -> RedisStore:
        options.setdefault("namespace", redis_namespace)
        store = RedisStore(url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


@pytest.fixture
def store(make_store: MakeStore) -> RedisStore:
    return make_store()


async def _keys(client: "redis.asyncio.Redis", pattern: str) -> set[bytes]:
    return {name async for name in client.scan_iter(match=pattern)}


# --- Layout: namespace and JSON ----------------------------------------------------------


def test_it_is_a_cache_store(store: RedisStore) -> None:
    checked: CacheStore = store  # the protocol itself is checked by mypy

    assert checked.backend == "redis"


async def test_entries_are_json_under_the_namespace(
    store: RedisStore, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    await store.set("user:1", {"name": "Ada", "roles": ["admin"], "ok": True}, ttl=60)

    assert await _keys(redis_client, f"{redis_namespace}*") == {
        f"{redis_namespace}:user:1".encode()
    }
    stored = await redis_client.get(f"{redis_namespace}:user:1")
    assert stored == b'{"name":"Ada","roles":["admin"],"ok":true}'


@pytest.mark.parametrize(
    "value",
    [0, 0.0, "", False, None, [], {}, 1.5, 2**70, "ünïcödé ✓", {"a": [1, {"b": None}]}],
    ids=repr,
)
async def test_json_values_come_back_equal_and_of_the_same_type(
    store: RedisStore, value: Any
) -> None:
    await store.set("k", value, ttl=60)

    got = await store.get("k")

    assert got == value
    assert type(got) is type(value)


async def test_json_rules_apply_to_tuples_and_dict_keys(store: RedisStore) -> None:
    await store.set("k", {"pair": (1, 2), 3: "three"}, ttl=60)

    assert await store.get("k") == {"pair": [1, 2], "3": "three"}


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (object(), "object"),
        ({1, 2}, "set"),
        (b"raw", "bytes"),
        ({"when": datetime(2024, 1, 2, tzinfo=UTC)}, "datetime"),
    ],
    ids=["object", "set", "bytes", "nested-datetime"],
)
async def test_a_value_json_cannot_hold_is_a_type_error_naming_key_and_type(
    store: RedisStore,
    redis_client: "redis.asyncio.Redis",
    redis_namespace: str,
    value: Any,
    type_name: str,
) -> None:
    with pytest.raises(TypeError, match=rf"cannot cache 'report:7'.*{type_name} is not JSON"):
        await store.set("report:7", value, ttl=60)

    assert await redis_client.exists(f"{redis_namespace}:report:7") == 0


async def test_a_circular_value_is_a_value_error_naming_the_key(store: RedisStore) -> None:
    loop: list[Any] = []
    loop.append(loop)

    with pytest.raises(ValueError, match=r"cannot cache 'k'.*Circular reference"):
        await store.set("k", loop, ttl=60)


async def test_data_the_codec_did_not_write_is_a_counted_miss(
    store: RedisStore,
    redis_client: "redis.asyncio.Redis",
    redis_namespace: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await redis_client.set(f"{redis_namespace}:k", b"\x80\x04 pickled?")

    assert await store.get("k") is MISSING
    assert store.stats()["errors"] == 1
    assert "Redis cache entry 'k' is unreadable" in caplog.text


async def test_another_codec_can_replace_json(make_store: MakeStore) -> None:
    store = make_store(encode=lambda value: str(value).encode(), decode=bytes.decode)
    await store.set("k", 42, ttl=60)

    assert await store.get("k") == "42"


# --- Expiry is Redis's own -------------------------------------------------------------------


async def test_ttl_is_set_natively_in_milliseconds(
    store: RedisStore, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    await store.set("minute", 1, ttl=60)
    await store.set("forever", 2, ttl=math.inf)
    await store.set("beyond_redis", 3, ttl=1e300)

    assert 59_000 < await redis_client.pttl(f"{redis_namespace}:minute") <= 60_000
    assert await redis_client.pttl(f"{redis_namespace}:forever") == -1
    assert await redis_client.pttl(f"{redis_namespace}:beyond_redis") == -1
    assert [await store.get(key) for key in ("minute", "forever", "beyond_redis")] == [1, 2, 3]


async def test_setting_again_replaces_the_native_ttl(
    store: RedisStore, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    await store.set("k", 1, ttl=5)
    await store.set("k", 2, ttl=math.inf)

    assert await redis_client.pttl(f"{redis_namespace}:k") == -1


# --- delete and clear touch only the namespace -------------------------------------------


async def test_delete_leaves_other_namespaces_alone(
    make_store: MakeStore, redis_namespace: str
) -> None:
    store = make_store()
    neighbour = make_store(namespace=f"{redis_namespace}-neighbour")
    await store.set("k", "v", ttl=60)
    await neighbour.set("k", "theirs", ttl=60)

    assert await store.delete("k") is True
    assert await neighbour.get("k") == "theirs"


async def test_clear_removes_every_key_of_the_namespace_and_nothing_else(
    make_store: MakeStore, redis_client: "redis.asyncio.Redis", redis_namespace: str
) -> None:
    store = make_store()
    neighbour = make_store(namespace=f"{redis_namespace}x")  # shares the prefix minus ':'
    for i in range(1_234):  # several SCAN/UNLINK batches
        await store.set(f"k{i}", i, ttl=60)
    await neighbour.set("k1", "theirs", ttl=60)
    await redis_client.set(redis_namespace, "no colon: not in the namespace")

    await store.clear()

    assert await _keys(redis_client, f"{redis_namespace}:*") == set()
    assert await neighbour.get("k1") == "theirs"
    assert await redis_client.get(redis_namespace) == b"no colon: not in the namespace"
    assert await store.get("k1") is MISSING


async def test_glob_characters_in_the_namespace_are_literal(
    make_store: MakeStore, redis_namespace: str
) -> None:
    star = make_store(namespace=f"{redis_namespace}*")
    matched_by_an_unescaped_star = make_store(namespace=f"{redis_namespace}abc")
    await star.set("k", 1, ttl=60)
    await matched_by_an_unescaped_star.set("k", 2, ttl=60)

    await star.clear()

    assert await star.get("k") is MISSING
    assert await matched_by_an_unescaped_star.get("k") == 2


# --- Counters, ping, close ---------------------------------------------------------------


async def test_stats_come_from_this_instance_without_io(store: RedisStore) -> None:
    await store.set("k", "v", ttl=60)
    await store.get("k")
    await store.get("absent")

    assert store.stats() == {"entries": None, "evictions": 0, "expirations": 0, "errors": 0}


# --- Outages: a private server that the tests stop and freeze -----------------------------


async def _until_it_answers(store: RedisStore) -> None:
    """Write and read a probe key until Redis keeps it: the store recovered by itself."""
    async with asyncio.timeout(5):
        while await store.get("probe") != "ok":
            await store.set("probe", "ok", ttl=60)
            await asyncio.sleep(0.05)


async def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = await call
    return result, time.monotonic() - started


async def test_a_stopped_server_gives_misses_and_skipped_writes_then_recovers(
    make_store: MakeStore, spare_redis: RedisServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(spare_redis.url, socket_timeout=0.2, retry_after=0.2)
    await store.set("k", "v", ttl=60)
    assert await store.get("k") == "v"
    caplog.set_level(logging.INFO, logger="providers.cache.stores.redis")

    await spare_redis.stop()

    started = time.monotonic()
    for _ in range(50):
        got, took = await _timed(store.get("k"))
        assert got is MISSING
        assert took < 1
        _, took = await _timed(store.set("k", "new", ttl=60))
        assert took < 1
        assert await store.delete("k") is False
    assert time.monotonic() - started < 10
    with pytest.raises(RedisError):
        await store.ping()
    errors = store.stats()["errors"]
    assert errors is not None
    assert errors >= 150
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # rate-limited: one per outage, not one per call
    assert "Redis cache is unreachable" in warnings[0].getMessage()

    await spare_redis.start()  # same port, empty: nothing was kept on disk

    await _until_it_answers(store)
    await store.ping()
    assert "Redis cache answers again" in caplog.text


async def test_a_frozen_server_costs_one_timeout_then_calls_skip_it(
    make_store: MakeStore, spare_redis: RedisServerProcess
) -> None:
    store = make_store(spare_redis.url, socket_timeout=0.2, retry_after=30)
    await store.set("k", "v", ttl=60)

    spare_redis.pause()

    got, took = await _timed(store.get("k"))
    assert got is MISSING
    assert took < 1  # one socket timeout
    _, took = await _timed(asyncio.gather(*(store.get("k") for _ in range(100))))
    assert took < 1  # the breaker is open: nobody waits on the frozen server
    with pytest.raises(RedisError):
        await store.ping()  # readiness still asks, and is told the cache is down

    spare_redis.resume()

    await store.ping()  # an answer closes the breaker at once
    assert await store.get("k") == "v"


async def test_writes_missed_during_an_outage_are_forgotten_before_the_next_read(
    make_store: MakeStore, spare_redis: RedisServerProcess
) -> None:
    store = make_store(spare_redis.url, socket_timeout=0.2, retry_after=0.2)
    for key in ("updated", "deleted", "untouched"):
        await store.set(key, "before the outage", ttl=60)

    spare_redis.pause()  # frozen, so it still holds the old values when it comes back
    await store.set("updated", "during the outage", ttl=60)  # times out: skipped
    assert await store.delete("deleted") is False  # skipped too
    spare_redis.resume()

    await _until_it_answers(store)
    assert await store.get("updated") is MISSING  # not the pre-outage value
    assert await store.get("deleted") is MISSING
    assert await store.get("untouched") == "before the outage"


async def test_too_many_missed_writes_clear_the_namespace_on_recovery(
    make_store: MakeStore, spare_redis: RedisServerProcess
) -> None:
    store = make_store(spare_redis.url, socket_timeout=0.2, retry_after=0.2)
    await store.set("untouched", "before the outage", ttl=60)

    spare_redis.pause()
    for i in range(100_001):  # one more than the store keeps track of; all skipped at once
        await store.set(f"k{i}", i, ttl=60)
    spare_redis.resume()

    await _until_it_answers(store)
    assert await store.get("untouched") is MISSING  # cleared with the rest of the namespace
    assert await store.get("k0") is MISSING
