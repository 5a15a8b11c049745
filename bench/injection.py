"""Injection per request: what an endpoint pays to reach a service.

Wirework's path is `await users_repository(request)` (`app/dependencies.py`), which asks the
app's container each time so that overrides take effect on the next request. The reference
is manual wiring: a plain attribute read. Measured in a loop on a real Starlette `Request`
over a started container; the difference is the per-request overhead in microseconds.
"""

import time
from collections.abc import Awaitable, Callable

from bench.harness import BenchmarkResult, Options, interleave_async, rows_from, run_async, timed

CALLS = 100_000
DIRECT = "direct attribute lookup (limit)"


def _round(lookup: Callable[[], Awaitable[object]], calls: int) -> Callable[[], Awaitable[float]]:
    async def measure() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await lookup()
        return (time.perf_counter() - started) / calls * 1e6

    return measure


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("injection: reach the user repository, per request", "µs")
    result.higher_is_better = False
    calls = options.pick(CALLS, CALLS // 4)
    rounds = options.pick(7, 3)

    async def main() -> None:
        from starlette.requests import Request  # noqa: PLC0415

        from app.dependencies import users_repository  # noqa: PLC0415
        from app.main import create_app  # noqa: PLC0415
        from config import Settings  # noqa: PLC0415
        from containers import Container  # noqa: PLC0415

        container = Container()
        container.settings.override(Settings(database={"url": "sqlite:///:memory:"}))
        app = create_app(container)
        await container.init_resources()
        app.state.users = await container.users()
        request = Request({"type": "http", "app": app})

        async def direct() -> object:
            return request.app.state.users

        async def wirework() -> object:
            return await users_repository(request)

        try:
            samples = await interleave_async(
                [
                    ("wirework users_repository(request)", _round(wirework, calls)),
                    (DIRECT, _round(direct, calls)),
                ],
                rounds=rounds,
            )
        finally:
            await container.shutdown_resources()
        result.rows = rows_from(samples)

    with timed(result):
        run_async(main)
    wirework = result.wirework
    assert wirework is not None
    overhead = wirework.median - result.row(DIRECT).median
    result.target("report the overhead per lookup", overhead, met=True, unit="µs")
    result.notes.append(
        f"both awaited from an async function, {calls:,} calls per round, {rounds} rounds; "
        "a GET /api/users/{id} makes two lookups (users, cache)"
    )
    return result
