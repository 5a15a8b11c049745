"""Injection per request: what `GET /api/users/{id}` costs by how the endpoint gets services.

The hand-written apps of `bench/http_apps.py` answer the same cached read through the same
services and differ only in how the endpoint reaches them: manual wiring (the limit),
Wirework's `Inject` form (`users: Users, cache: Cache`), FastAPI `Depends` alone, and
dependency-injector's `@inject` + `Depends(Provide[...])`. Each is driven in-process through
ASGI (no sockets, no server), so the figure is the framework's per-request cost; the HTTP
benchmark measures the same apps under uvicorn.
"""

import json
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.harness import BenchmarkResult, Options, rows_from, run_async, timed
from bench.http import INJECT_GAP

REQUESTS = 2_000
"""Per contender per round: short rounds, many of them, so a slow spell of the machine
lands on every contender rather than on whichever ran during it."""
WIREWORK = "wirework Inject: users: Users, cache: Cache"
MANUAL = "manual wiring (limit)"
DEPENDS = "FastAPI Depends only"
PROVIDE = "dependency-injector @inject + Provide"
APPS = {
    WIREWORK: "inject_app",
    MANUAL: "manual_app",
    DEPENDS: "depends_app",
    PROVIDE: "provide_app",
}


class _Client:
    """Calls an ASGI app the way uvicorn would, minus the socket."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"bench"), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 1),
            "server": ("bench", 80),
            "app": self.app,
        }
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


def _round(client: _Client, requests: int) -> Callable[[], Awaitable[float]]:
    async def measure() -> float:
        started = time.perf_counter()
        for _ in range(requests):
            await client.request("GET", "/api/users/1")
        return (time.perf_counter() - started) / requests * 1e6

    return measure


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("injection: GET /api/users/{id} in-process, per request", "µs")
    result.higher_is_better = False
    requests = options.pick(REQUESTS, REQUESTS // 8)
    rounds = options.pick(21, 5)

    async def main() -> None:
        from bench import http_apps  # noqa: PLC0415

        async with AsyncExitStack() as stack:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            clients: dict[str, _Client] = {}
            for name, factory in APPS.items():
                url = f"sqlite:///{folder / factory}.db"
                os.environ["BENCH_DATABASE_URL"] = os.environ["APP_DATABASE__URL"] = url
                app = getattr(http_apps, factory)()
                await stack.enter_async_context(app.router.lifespan_context(app))
                client = clients[name] = _Client(app)
                user = json.dumps({"username": "ada", "email": "ada@example.com"}).encode()
                if await client.request("POST", "/api/users", user) != 201:
                    raise RuntimeError(f"{name}: seeding the user failed")
                if await client.request("GET", "/api/users/1") != 200:
                    raise RuntimeError(f"{name}: reading the user failed")
            measure = {name: _round(client, requests) for name, client in clients.items()}
            samples: dict[str, list[float]] = {name: [] for name in measure}
            order = list(measure)
            await measure[order[0]]()  # warm-up
            shuffle = random.Random(0).shuffle
            for _ in range(rounds):
                # A fresh order every round: the first of a round tends to run faster here,
                # and the round after the thread-pool contender slower, so neither position
                # nor neighbour may stay with one contender.
                shuffle(order)
                for name in order:
                    samples[name].append(await measure[name]())
        result.rows = rows_from(samples)

    saved = {key: os.environ.get(key) for key in ("BENCH_DATABASE_URL", "APP_DATABASE__URL")}
    try:
        with timed(result):
            run_async(main)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    # Requests per second go as 1 / latency: this is the throughput ratio to manual wiring.
    result.ratio_target(
        MANUAL, 0.9, description="Inject form >= 0.9x manual wiring", cause=INJECT_GAP
    )
    result.notes.append(
        f"in-process ASGI, {requests:,} cached reads per round, {rounds} rounds, each in a "
        "shuffled order; "
        "`make bench`'s HTTP table has the same apps under uvicorn"
    )
    return result
