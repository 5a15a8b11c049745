"""A bounded HTTP load run against one Wirework server, from a process of its own.

`python -m tests.reliability.loadgen http://127.0.0.1:PORT --requests 3000 --concurrency 100`
sends exactly `--requests` requests from `--concurrency` workers, each on its own
keep-alive connection, then prints one JSON object: statuses, transport errors, requests
per second, p50 / p99 latency, and the ids of the users it created. The mix: 30 % `POST /api/users`,
50 % `GET /api/users/{id}` of a user created earlier in the run, 20 % `GET /api/users`.
It only ever talks to the URL it is given, and stops at `--time-limit` seconds regardless.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, the whole answer, the next request.

    A small client on asyncio streams rather than httpx: at concurrency 100, httpx's own
    bookkeeping took ~3 ms of CPU per request and became the bottleneck being measured.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, body: Any = None) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {target} HTTP/1.1\r\nHost: {self._host}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        writer.write(head.encode() + b"\r\n" + payload)
        status_line = await reader.readuntil(b"\r\n")
        length = 0
        keep_alive = True
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep_alive = False
        content = await reader.readexactly(length)
        if not keep_alive:
            await self.close()
        return int(status_line.split(b" ", 2)[1]), content

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def run(url: str, requests: int, concurrency: int, time_limit: float) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    prefix = uuid.uuid4().hex[:8]
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    created: list[int] = []
    remaining = iter(range(requests))
    chooser = random.Random(prefix)  # noqa: S311  # a traffic mix, not a secret

    async def one(connection: Connection, number: int) -> None:
        roll = chooser.random()
        started = time.perf_counter()
        try:
            if roll < 0.3 or not created:
                name = f"load-{prefix}-{number}"
                body = {"username": name, "email": f"{name}@example.com"}
                status, content = await connection.request("POST", "/api/users", body)
                if status == 201:
                    created.append(json.loads(content)["id"])
            elif roll < 0.8:
                status, _ = await connection.request("GET", f"/api/users/{chooser.choice(created)}")
            else:
                status, _ = await connection.request("GET", "/api/users?limit=20")
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            errors[type(error).__name__] += 1
            await connection.close()
            return
        latencies.append(time.perf_counter() - started)
        statuses[status] += 1

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            for number in remaining:
                await one(connection, number)
        finally:
            await connection.close()

    started = time.perf_counter()
    async with asyncio.timeout(time_limit):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started

    latencies.sort()
    answered = sum(statuses.values())
    return {
        "requests": requests,
        "answered": answered,
        "seconds": round(seconds, 3),
        "requests_per_second": round(answered / seconds, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "transport_errors": dict(errors),
        "created": created,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.loadgen")
    parser.add_argument("url", help="the server, e.g. http://127.0.0.1:8000 (loopback only)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.", "http://localhost")):
        parser.error("load goes to a server on this machine's loopback only")
    result = asyncio.run(run(args.url, args.requests, args.concurrency, args.time_limit))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
