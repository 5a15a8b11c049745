"""Memory: 10 x (database + cache) services used then closed.

Run in a fresh interpreter each round, so nothing another benchmark left behind counts.
RSS is read (after a garbage collection) once the modules are imported and again after
the services are closed; the figure is the growth, which must stay under 50 MB.
"""

import json
import subprocess
import sys
from pathlib import Path

from bench.harness import BenchmarkResult, Options, Row, interleave, timed

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

PROBE = """
import asyncio, gc, json
import psutil
from providers.cache import CacheService
from providers.database import DatabaseService

async def case():
    process = psutil.Process()
    gc.collect()
    initial = process.memory_info().rss
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
    peak = process.memory_info().rss
    for db_service, cache_service in services:
        await cache_service.close()
        await db_service.close()
    gc.collect()
    final = process.memory_info().rss
    print(json.dumps({"growth": final - initial, "peak": peak - initial}))

asyncio.run(case())
"""

GROWTH = "wirework: RSS growth after the case"


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("memory: 10 x (database + cache), fresh process", "MB")
    result.higher_is_better = False
    result.compare = False
    rounds = options.pick(5, 3)
    peaks: list[float] = []

    def once() -> float:
        output = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        figures = json.loads(output)
        peaks.append(figures["peak"] / MIB)
        return float(figures["growth"]) / MIB

    with timed(result):
        samples = interleave([(GROWTH, once)], rounds=rounds)
    result.rows = [
        Row(GROWTH, samples[GROWTH]),
        Row("  growth while the 10 pairs are open", peaks[-rounds:]),
    ]
    growth = result.row(GROWTH).median
    result.target("growth < 5 MB (50 allowed)", growth, growth < 5, "MB")
    result.notes.append(f"{rounds} fresh processes after one warm-up")
    return result
