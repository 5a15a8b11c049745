"""Cache: 90 % get / 10 % set over 10k keys, max_size 5k, a TTL on every entry.

Every contender is driven by the same loop through two coroutine functions, `get(key)` and
`set(key, value)`, as an application would await them. Each round runs the contender for a
fixed time on the same pre-drawn sequence of operations and reports operations per second.

Growth (`run_growth`): the same mix on a cache holding 1k and then 1M entries (full, every
key present), Wirework beside the bare LRU at each size, and, in the full run, the bytes
each entry costs (`tracemalloc` while filling; keys and values exist beforehand, so only the
cache's own structures count). The quick run fills without tracing, which takes a quarter
of the time.
"""

import gc
import random
import time
import tracemalloc
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bench.harness import BenchmarkResult, Options, interleave_async, rows_from, run_async, timed

KEYS = 10_000
MAX_SIZE = 5_000
TTL = 60.0
WRITE_SHARE = 0.1
SEQUENCE = 100_000
CHUNK = 1_000

Get = Callable[[str], Awaitable[Any]]
Set = Callable[[str, Any], Awaitable[Any]]

BARE = "bare OrderedDict LRU (limit)"
AIOCACHE = "aiocache SimpleMemoryCache"
CASHEWS = "cashews mem://"
CACHETOOLS = "cachetools TTLCache"
PEERS = (AIOCACHE, CASHEWS, CACHETOOLS)
STORE_GAP = (
    "every operation awaits the store behind CacheService (memory or Redis, one interface) "
    "and counts a hit or miss for get_stats; the bare LRU and cachetools are called directly in "
    "the caller's coroutine"
)


def _operations() -> list[tuple[bool, str]]:
    draw = random.Random(42)
    return [(draw.random() < WRITE_SHARE, f"key-{draw.randrange(KEYS)}") for _ in range(SEQUENCE)]


def _bare_lru(max_size: int = MAX_SIZE) -> tuple[Get, Set]:
    """The least a TTL'd LRU in an async function can do: the limit to measure against."""
    entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()
    clock = time.monotonic

    async def get(key: str) -> Any:
        entry = entries.get(key)
        if entry is None:
            return None
        if entry[1] <= clock():
            del entries[key]
            return None
        entries.move_to_end(key)
        return entry[0]

    async def set_(key: str, value: Any) -> None:
        if key in entries:
            entries.move_to_end(key)
        elif len(entries) >= max_size:
            entries.popitem(last=False)
        entries[key] = (value, clock() + TTL)

    return get, set_


def _cachetools() -> tuple[Get, Set]:
    from cachetools import TTLCache  # noqa: PLC0415 (a bench extra)

    cache: TTLCache[str, Any] = TTLCache(maxsize=MAX_SIZE, ttl=TTL)

    async def get(key: str) -> Any:
        return cache.get(key)

    async def set_(key: str, value: Any) -> None:
        cache[key] = value

    return get, set_


async def _aiocache() -> tuple[Get, Set]:
    from aiocache import SimpleMemoryCache  # type: ignore[import-untyped]  # noqa: PLC0415

    # aiocache's memory cache has no size bound; its defaults (a 5 s timeout per call) stay.
    cache = SimpleMemoryCache()

    async def set_(key: str, value: Any) -> None:
        await cache.set(key, value, ttl=TTL)

    return cache.get, set_


async def _cashews() -> tuple[Get, Set]:
    from cashews import Cache  # noqa: PLC0415

    cache = Cache()
    cache.setup(f"mem://?size={MAX_SIZE}")
    await cache.init()

    async def set_(key: str, value: Any) -> None:
        await cache.set(key, value, expire=TTL)

    return cache.get, set_


async def _wirework(max_size: int = MAX_SIZE) -> tuple[Get, Set, Callable[[], Awaitable[None]]]:
    from providers.cache import CacheService  # noqa: PLC0415

    cache = CacheService(max_size=max_size, default_ttl=TTL)
    await cache.initialize()
    return cache.get, cache.set, cache.close


def _round(operations: list[tuple[bool, str]], get: Get, set_: Set, seconds: float) -> Any:
    async def measure() -> float:
        done = 0
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            start = done % SEQUENCE
            for write, key in operations[start : start + CHUNK]:
                if write:
                    await set_(key, key)
                else:
                    await get(key)
            done += CHUNK
            now = time.perf_counter()
            if now >= deadline:
                return done / (now - started)

    return measure


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("cache: 90% get / 10% set, 10k keys, max 5k, TTL", "ops/s")
    seconds = options.pick(0.4, 0.1)
    rounds = options.pick(7, 3)

    async def main() -> None:
        operations = _operations()
        wirework_get, wirework_set, close = await _wirework()
        contenders = {
            "wirework CacheService": (wirework_get, wirework_set),
            BARE: _bare_lru(),
            AIOCACHE: await _aiocache(),
            CASHEWS: await _cashews(),
            CACHETOOLS: _cachetools(),
        }
        samples = await interleave_async(
            [(name, _round(operations, *pair, seconds)) for name, pair in contenders.items()],
            rounds=rounds,
        )
        await close()
        result.rows = rows_from(samples, {AIOCACHE: "no size bound"})

    with timed(result):
        run_async(main)
    result.ratio_target(BARE, 0.6, cause=STORE_GAP)
    fastest_peer = max(PEERS, key=lambda name: result.row(name).median)
    result.ratio_target(fastest_peer, 3.0, cause=STORE_GAP)
    result.notes.append(
        f"{SEQUENCE:,} pre-drawn operations, {seconds} s per contender per round, {rounds} rounds "
        "after a warm-up round"
    )
    return result


GROWTH_SIZES = (1_000, 1_000_000)
WIREWORK = "wirework CacheService"


async def _fill(set_: Set, keys: list[str]) -> None:
    for key in keys:
        await set_(key, key)


async def _filled(set_: Set, keys: list[str]) -> float:
    """Fill through `set_`, one entry per key; bytes allocated per entry."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await _fill(set_, keys)
        return (tracemalloc.get_traced_memory()[0] - before) / len(keys)
    finally:
        tracemalloc.stop()


def _growth_size(size: int, seconds: float, rounds: int, traced: bool) -> BenchmarkResult:
    result = BenchmarkResult(f"cache growth: {size:,} entries, 90% get / 10% set, TTL", "ops/s")

    async def main() -> None:
        keys = [f"key-{number}" for number in range(size)]
        draw = random.Random(7)
        operations = [
            (draw.random() < WRITE_SHARE, keys[draw.randrange(size)]) for _ in range(SEQUENCE)
        ]
        wirework_get, wirework_set, close = await _wirework(size)
        bare_get, bare_set = _bare_lru(size)
        per_entry = {}
        for name, set_ in ((WIREWORK, wirework_set), (BARE, bare_set)):
            if traced:
                per_entry[name] = await _filled(set_, keys)
            else:
                await _fill(set_, keys)
        samples = await interleave_async(
            [
                (WIREWORK, _round(operations, wirework_get, wirework_set, seconds)),
                (BARE, _round(operations, bare_get, bare_set, seconds)),
            ],
            rounds=rounds,
        )
        await close()
        result.rows = rows_from(
            samples, {name: f"{figure:,.0f} B/entry" for name, figure in per_entry.items()}
        )

    with timed(result):
        run_async(main)
    result.ratio_target(BARE, 0.6, cause=STORE_GAP)
    result.notes.append(
        f"{SEQUENCE:,} pre-drawn operations over {size:,} stored keys, "
        f"{seconds} s per contender per round, {rounds} rounds"
    )
    return result


def run_growth(options: Options) -> list[BenchmarkResult]:
    seconds = options.pick(0.4, 0.2)
    rounds = options.pick(5, 3)
    small, large = (
        _growth_size(size, seconds, rounds, traced=not options.quick) for size in GROWTH_SIZES
    )
    kept = large.row(WIREWORK).median / small.row(WIREWORK).median
    bare_kept = large.row(BARE).median / small.row(BARE).median
    large.target(
        f"wirework keeps >= 0.9x of the bare LRU's rate from {GROWTH_SIZES[0]:,} to "
        f"{GROWTH_SIZES[1]:,} (wirework {kept:.2f}x, bare {bare_kept:.2f}x)",
        kept / bare_kept,
        kept / bare_kept >= 0.9,
    )
    return [small, large]
