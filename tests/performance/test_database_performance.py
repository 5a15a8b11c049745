"""The pool under load (many borrowers, bounded by `max_size`) and the memory a service costs.

No wall-clock bound: a timing assertion fails on a loaded machine and proves nothing on an
idle one; the pool's own bound (`max_size`) is checked instead.
"""

import asyncio
import gc

import psutil

from providers.cache import CacheService
from providers.database import DatabaseService


async def test_database_concurrent_connections(database_service: DatabaseService) -> None:
    async def get_connection_task() -> str:
        conn = await database_service.get_connection()
        await asyncio.sleep(0.01)  # simulate work
        await database_service.release_connection(conn)
        return str(conn["id"])

    results = await asyncio.gather(*(get_connection_task() for _ in range(50)))

    assert len(results) == 50
    assert 1 < len(set(results)) <= database_service.get_stats()["max_size"]
    assert database_service.get_stats()["in_use_connections"] == 0


async def test_concurrent_queries_stay_within_max_size(database_service: DatabaseService) -> None:
    peak = 0

    async def query() -> None:
        nonlocal peak
        async with database_service.get_connection_context() as connection:
            peak = max(peak, database_service.get_stats()["in_use_connections"])
            await connection.execute("SELECT 1")

    await asyncio.gather(*(query() for _ in range(100)))
    assert 1 < peak <= database_service.get_stats()["max_size"]


async def test_service_memory_usage() -> None:
    process = psutil.Process()
    gc.collect()
    initial_memory = process.memory_info().rss

    services = []
    for i in range(10):
        db_service = DatabaseService()
        cache_service = CacheService()
        await db_service.initialize()
        await cache_service.initialize()
        for j in range(100):
            await cache_service.set(f"key_{i}_{j}", f"value_{i}_{j}")
            conn = await db_service.get_connection()
            await db_service.release_connection(conn)
        services.append((db_service, cache_service))

    for db_service, cache_service in services:
        await cache_service.close()
        await db_service.close()

    gc.collect()
    memory_increase = process.memory_info().rss - initial_memory
    assert memory_increase < 50 * 1024 * 1024
