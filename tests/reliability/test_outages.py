"""Outages under load: PostgreSQL and Redis stopped (cleanly and by a crash), frozen, and
brought back while a server process answers a steady mix of reads and writes.

Each outage must cost clients only retryable answers (503 with `Retry-After`, never 500),
no request may hang past the query timeout, the server must recover by itself within a few
seconds, and every write it acknowledged must be in the database afterwards. The servers
are private (`spare_postgres`, `spare_redis`), never the shared ones.
"""

import asyncio
import inspect
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest

from tests.reliability.conftest import StartServer
from tests.servers import PostgresServerProcess, RedisServerProcess

pytestmark = pytest.mark.slow

QUERY_TIMEOUT = 1.0
LONGEST_REQUEST = QUERY_TIMEOUT + 1.0
RECOVERY = 5.0
OUTAGE = 1.0  # past Redis's socket timeout (0.5 s): the breaker opens
FREEZE = QUERY_TIMEOUT + 0.5  # long enough for statements to hit the query timeout
WORKERS = 6


@dataclass
class Answer:
    method: str
    status: int
    started: float
    seconds: float
    retry_after: str | None


@dataclass
class Load:
    """A few clients sending GETs and POSTs back to back; every answer is recorded."""

    client: httpx.AsyncClient
    answers: list[Answer] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # usernames answered with 201
    ids: list[int] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)
    _prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._worker(stop) for _ in range(WORKERS)))

    async def _worker(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            number = next(self._numbers)
            started = time.monotonic()
            if number % 4 == 0 or not self.ids:
                name = f"outage-{self._prefix}-{number}"
                body = {"username": name, "email": f"{name}@example.com"}
                response = await self.client.post("/api/users", json=body)
                if response.status_code == 201:
                    self.acknowledged.append(name)
                    self.ids.append(response.json()["id"])
            elif number % 4 == 1:
                response = await self.client.get("/api/users?limit=20")
            else:
                response = await self.client.get(f"/api/users/{self.ids[number % len(self.ids)]}")
            seconds = time.monotonic() - started
            retry_after = response.headers.get("Retry-After")
            self.answers.append(
                Answer(response.request.method, response.status_code, started, seconds, retry_after)
            )
            if response.status_code >= 500:
                await asyncio.sleep(0.02)  # a client backing off a little, as told to

    def recovered_at(self, since: float) -> float | None:
        """When a GET and a POST, both sent after `since`, had both succeeded."""
        after = [a for a in self.answers if a.started >= since and a.status < 300]
        done = {
            method: min((a.started + a.seconds for a in after if a.method == method), default=None)
            for method in ("GET", "POST")
        }
        if None in done.values():
            return None
        return max(t for t in done.values() if t is not None)


async def _call(action: Callable[[], object]) -> None:
    """Run `action` off the event loop (pg_ctl blocks; the load must go on), awaiting what
    it returns when that is a coroutine (Redis's start and stop)."""
    result = await asyncio.to_thread(action)
    if inspect.isawaitable(result):
        await result


async def _outage(
    load: Load, name: str, down: Callable[[], object], up: Callable[[], object], seconds: float
) -> None:
    await _call(down)
    await asyncio.sleep(seconds)
    await _call(up)
    back = time.monotonic()
    while (recovered := load.recovered_at(back)) is None:
        assert time.monotonic() - back < RECOVERY, f"{name}: no GET and POST served in {RECOVERY} s"
        await asyncio.sleep(0.05)
    print(f"\n{name}: served again {recovered - back:.2f} s after the server returned")


async def test_outages_under_load_answer_503_and_lose_no_acknowledged_write(
    start_server: StartServer,
    spare_postgres: PostgresServerProcess,
    spare_redis: RedisServerProcess,
) -> None:
    postgres, redis = spare_postgres, spare_redis
    server = start_server(
        {
            "APP_DATABASE__URL": postgres.url,
            "APP_DATABASE__QUERY_TIMEOUT": str(QUERY_TIMEOUT),
            "APP_DATABASE__CONNECT_TIMEOUT": "1",
            "APP_DATABASE__ACQUIRE_TIMEOUT": "0.5",
            "APP_CACHE__BACKEND": "redis",
            "APP_CACHE__URL": redis.url,
        }
    )
    outages = [
        ("PostgreSQL stopped (fast)", postgres.stop, postgres.start, OUTAGE),
        ("PostgreSQL crashed", lambda: postgres.stop("immediate"), postgres.start, OUTAGE),
        ("PostgreSQL frozen", postgres.pause, postgres.resume, FREEZE),
        ("Redis stopped", redis.stop, redis.start, OUTAGE),
        ("Redis frozen", redis.pause, redis.resume, OUTAGE),
    ]
    async with server.async_client() as client:
        load = Load(client)
        stop = asyncio.Event()
        running = asyncio.create_task(load.run(stop))
        try:
            await asyncio.sleep(0.5)
            for name, down, up, seconds in outages:
                await _outage(load, name, down, up, seconds)
        finally:
            stop.set()
            await running

    statuses = Counter(answer.status for answer in load.answers)
    print(f"answers: {dict(sorted(statuses.items()))}")
    assert set(statuses) <= {200, 201, 503}, (statuses, server.log()[-5000:])
    assert statuses[503] > 0  # the outages were felt
    assert all(a.retry_after for a in load.answers if a.status == 503)
    slowest = max(answer.seconds for answer in load.answers)
    assert slowest <= LONGEST_REQUEST, f"a request took {slowest:.2f} s"

    connection = await asyncpg.connect(postgres.url)
    try:
        rows = await connection.fetch(
            "SELECT username FROM users WHERE username = ANY($1::text[])", load.acknowledged
        )
    finally:
        await connection.close()
    assert {row["username"] for row in rows} == set(load.acknowledged)

    log = server.log()
    assert "Traceback" not in log
    # One warning per cause per interval, not one per request.
    assert log.count("answered 503") < 30, log[-5000:]
