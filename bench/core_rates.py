"""Throughput of the pool and the memory cache on this machine, as a quick sanity figure.

Pool: 50 tasks, each doing acquire + `SELECT 1` + release in a loop on a SQLite file.
Cache: 90 % get / 10 % set over 10k keys with max_size 5k and a TTL on.
These are absolute rates from one noisy machine; the peer comparisons live in the
benchmark suite proper.
"""

import asyncio
import random
import tempfile
import time
from pathlib import Path

from providers.cache import CacheService
from providers.database import DatabaseService

POOL_TASKS = 50
POOL_SECONDS = 3.0
CACHE_OPERATIONS = 200_000


async def pool_rate() -> float:
    """Acquire + SELECT 1 + release per second with 50 concurrent tasks."""
    with tempfile.TemporaryDirectory() as folder:
        service = DatabaseService(f"sqlite:///{Path(folder) / 'bench.db'}", min_size=5, max_size=5)
        await service.initialize()
        done = 0
        deadline = time.perf_counter() + POOL_SECONDS

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with service.get_connection_context() as connection:
                    await connection.execute("SELECT 1")
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(POOL_TASKS)))
        elapsed = time.perf_counter() - started
        await service.close()
    return done / elapsed


async def cache_rate() -> float:
    """Cache operations per second for a 90/10 get/set mix."""
    cache = CacheService(max_size=5_000, default_ttl=60)
    await cache.initialize()
    generator = random.Random(42)
    keys = [f"key-{generator.randrange(10_000)}" for _ in range(CACHE_OPERATIONS)]
    writes = [generator.random() < 0.1 for _ in range(CACHE_OPERATIONS)]
    started = time.perf_counter()
    for key, write in zip(keys, writes, strict=True):
        if write:
            await cache.set(key, key)
        else:
            await cache.get(key)
    elapsed = time.perf_counter() - started
    await cache.close()
    return CACHE_OPERATIONS / elapsed


async def main() -> None:
    print(f"pool  acquire+SELECT 1+release, {POOL_TASKS} tasks: {await pool_rate():>10,.0f} /s")
    print(f"cache 90% get / 10% set, 10k keys, max 5k:    {await cache_rate():>10,.0f} ops/s")
