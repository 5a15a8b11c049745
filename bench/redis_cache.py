"""Redis cache: 90 % get / 10 % set of JSON values over 1k keys, 50 concurrent tasks.

`CacheService` on its Redis store against a bare `redis.asyncio` client doing the same
work by hand: `json.dumps` + `SET key value PX ttl`, `GET key` + `json.loads`, under the
same key prefix. Both clients bound every command with a socket timeout (redis-py's default
of 5 s for the bare one, 0.5 s for Wirework's), which redis-py enforces alike. Wirework
adds what its interface promises: the readiness check, the circuit breaker (an outage
costs one timeout, then misses), and hit/miss counting. Both walk the same pre-drawn
sequence of operations from its start. A round lets the 50 tasks work for a fixed time and
reports operations per second; rounds alternate between the two, after a warm-up round.
Skipped when Redis does not answer.
"""

import json
import os
import random
from collections.abc import Awaitable, Callable
from typing import Any

from bench.harness import (
    BenchmarkResult,
    Options,
    for_seconds,
    interleave_async,
    rows_from,
    run_async,
    timed,
)

TASKS = 50
KEYS = 1_000
WRITE_SHARE = 0.1
TTL = 60.0
SEQUENCE = 10_000
NAMESPACE = "wirework-bench"
WIREWORK = "wirework CacheService (Redis store)"
BARE = "bare redis-py client, JSON by hand (limit)"

Get = Callable[[str], Awaitable[Any]]
Set = Callable[[str, Any], Awaitable[Any]]


def redis_url(options: Options) -> str | None:
    return options.redis_url or os.environ.get("APP_TEST_REDIS_URL") or None


def _value(number: int) -> dict[str, Any]:
    """A small record, like a cached user."""
    return {"id": number, "username": f"user{number}", "email": f"user{number}@example.com"}


def _operations() -> list[tuple[bool, str, int]]:
    draw = random.Random(11)
    return [
        (draw.random() < WRITE_SHARE, f"key-{number}", number)
        for number in (draw.randrange(KEYS) for _ in range(SEQUENCE))
    ]


def _round(
    operations: list[tuple[bool, str, int]], get: Get, set_: Set, seconds: float
) -> Callable[[], Awaitable[float]]:
    """The next operation of the sequence (its own cursor, wrapping round) per call."""
    position = 0

    async def operation() -> None:
        nonlocal position
        write, key, number = operations[position % SEQUENCE]
        position += 1
        if write:
            await set_(key, _value(number))
        else:
            await get(key)

    return for_seconds(operation, seconds, TASKS)


async def _wirework(url: str) -> tuple[Get, Set, Callable[[], Awaitable[None]]]:
    from providers.cache import CacheService  # noqa: PLC0415
    from providers.cache.stores.redis import RedisStore  # noqa: PLC0415

    cache = CacheService(default_ttl=TTL, store=RedisStore(url, namespace=NAMESPACE))
    await cache.initialize()
    return cache.get, cache.set, cache.close


async def _bare(url: str) -> tuple[Get, Set, Callable[[], Awaitable[None]]]:
    from redis.asyncio import Redis  # noqa: PLC0415

    client = Redis.from_url(url)
    prefix = f"{NAMESPACE}:"
    expiry = int(TTL * 1000)

    async def get(key: str) -> Any:
        data = await client.get(prefix + key)
        return None if data is None else json.loads(data)

    async def set_(key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        await client.set(prefix + key, text.encode(), px=expiry)

    return get, set_, client.aclose


async def _reachable(url: str) -> str | None:
    """None when Redis answers at `url`, else why not."""
    from redis.asyncio import Redis  # noqa: PLC0415
    from redis.exceptions import RedisError  # noqa: PLC0415

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        return f"{type(error).__name__}: {error}"
    finally:
        await client.aclose()
    return None


async def _clear(url: str) -> None:
    """Remove the benchmark's keys."""
    from redis.asyncio import Redis  # noqa: PLC0415

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{NAMESPACE}:*")]
        if keys:
            await client.unlink(*keys)
    finally:
        await client.aclose()


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult(
        f"redis cache: 90% get / 10% set, JSON, {KEYS:,} keys, {TASKS} tasks", "ops/s"
    )
    url = redis_url(options)
    if url is None:
        result.skipped = "no Redis: set APP_TEST_REDIS_URL or pass --redis-url"
        return result
    seconds, rounds = options.throughput_rounds

    async def main() -> None:
        problem = await _reachable(url)
        if problem is not None:
            result.skipped = f"Redis not reachable ({problem})"
            return
        operations = _operations()
        wirework_get, wirework_set, close_wirework = await _wirework(url)
        bare_get, bare_set, close_bare = await _bare(url)
        try:
            for number in range(KEYS):  # every key present: gets are hits, as in a warm cache
                await bare_set(f"key-{number}", _value(number))
            samples = await interleave_async(
                [
                    (WIREWORK, _round(operations, wirework_get, wirework_set, seconds)),
                    (BARE, _round(operations, bare_get, bare_set, seconds)),
                ],
                rounds=rounds,
            )
        finally:
            await close_wirework()
            await close_bare()
            await _clear(url)
        result.rows = rows_from(samples)

    with timed(result):
        run_async(main)
    if result.skipped is None:
        result.ratio_target(
            BARE,
            0.95,
            cause="every call passes the circuit breaker (an outage costs one timeout, not one "
            "per request) and the check for keys an outage left stale",
        )
        result.notes.append(
            f"{SEQUENCE:,} pre-drawn operations walked by {TASKS} tasks, {seconds:g} s per "
            f"contender per round, {rounds} rounds after a warm-up round"
        )
    return result
