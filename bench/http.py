"""HTTP: `GET /api/users/{id}` and `POST /api/users` through uvicorn on loopback.

Every contender is its own uvicorn process (one worker, uvloop + httptools, no access log)
on its own SQLite file, started once; load comes from another process at a fixed number
of connections, one contender at a time, A B A B. Contenders:

- the full Wirework app (`app.main:app`: container, middlewares, metrics);
- the same, with a one-entry cache, so nearly every GET misses (the uncached figure);
- `bench.http_apps:manual_app` and `depends_app`: hand-written FastAPI apps doing the same
  work on the same services, wired by hand (the limit) or with `Depends` only;
- `bench.http_apps:inject_app`: the same on Wirework's container, through the documented
  injection form (`Annotated` aliases resolved by `app.dependencies.inject`).
"""

import functools
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import BenchmarkResult, Options, interleave, log, rows_from, timed
from bench.load import Load, generator, run_load

CONNECTIONS = 32
USERS = 100
ROOT = Path(__file__).resolve().parent.parent

WIREWORK = "wirework app"
UNCACHED = "wirework app, cache misses"
MANUAL = "FastAPI, manual wiring (limit)"
DEPENDS = "FastAPI, Depends only"
INJECT = "FastAPI + Wirework Inject form"


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(port: int, method: str, path: str, body: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, payload, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait_until_serving(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            if _request(server.port, "GET", "/api/health") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer on port {server.port}")


def _start(name: str, target: str, folder: Path, extra_env: dict[str, str]) -> Server:
    port = _free_port()
    database = f"sqlite:///{folder / (target.replace(':', '_') + str(port))}.db"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("APP_")},
        "APP_DATABASE__URL": database,
        "BENCH_DATABASE_URL": database,
        "APP_ENVIRONMENT": "development",
        **extra_env,
    }
    command = [
        *(sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)),
        *("--no-access-log", "--log-level", "warning"),
    ]
    if not target.startswith("app."):
        command.append("--factory")
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    server = Server(name, port, process)
    _wait_until_serving(server)
    for number in range(1, USERS + 1):
        user = {"username": f"seed{number}", "email": f"seed{number}@example.com"}
        status = _request(port, "POST", "/api/users", user)
        if status != 201:
            raise RuntimeError(f"{name}: seeding a user answered {status}")
    return server


@contextmanager
def _servers(folder: Path) -> Iterator[dict[str, Server]]:
    specs = {
        WIREWORK: ("app.main:app", {}),
        UNCACHED: ("app.main:app", {"APP_CACHE__MAX_SIZE": "1"}),
        MANUAL: ("bench.http_apps:manual_app", {}),
        DEPENDS: ("bench.http_apps:depends_app", {}),
        INJECT: ("bench.http_apps:inject_app", {}),
    }
    servers: dict[str, Server] = {}
    try:
        for name, (target, env) in specs.items():
            servers[name] = _start(name, target, folder, env)
        yield servers
    finally:
        for server in servers.values():
            server.process.terminate()
        for server in servers.values():
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()


def run(options: Options) -> list[BenchmarkResult]:
    load_generator = generator(options.load_generator)
    seconds = options.pick(2.0, 1.0)
    rounds = options.pick(5, 2)
    read = BenchmarkResult(f"HTTP GET /api/users/{{id}}, {CONNECTIONS} connections", "req/s")
    write = BenchmarkResult(f"HTTP POST /api/users, {CONNECTIONS} connections", "req/s")
    problems: dict[str, list[str]] = {"get": [], "post": []}
    batch = f"{os.getpid()}x{int(time.time())}"
    round_numbers = itertools.count(1)

    def measure(server: Server, kind: str) -> float:
        # Usernames must be new on every round: each load run gets its own prefix.
        prefix = f"b{batch}r{next(round_numbers)}"
        load = Load(server.port, kind, USERS, prefix, seconds, CONNECTIONS)
        figures = run_load(load_generator, load)
        if figures["non_2xx"] or figures["failures"]:
            problems[kind].append(f"{server.name}: {figures}")
        return float(figures["rps"])

    with timed(read), tempfile.TemporaryDirectory(prefix="wirework-bench-http-") as folder:
        log(f"  http: starting 5 uvicorn servers; load from {load_generator}")
        with _servers(Path(folder)) as servers:
            reads = (WIREWORK, UNCACHED, MANUAL, DEPENDS, INJECT)
            read.rows = rows_from(
                interleave(
                    [(name, functools.partial(measure, servers[name], "get")) for name in reads],
                    rounds=rounds,
                )
            )
            started = time.perf_counter()
            writes = (WIREWORK, MANUAL, DEPENDS)
            write.rows = rows_from(
                interleave(
                    [(name, functools.partial(measure, servers[name], "post")) for name in writes],
                    rounds=rounds,
                )
            )
            write.seconds = time.perf_counter() - started
    read.seconds -= write.seconds

    for kind, result in (("get", read), ("post", write)):
        result.ratio_target(MANUAL, 0.9)
        result.ratio_target(DEPENDS, 1.0)
        result.notes.append(
            f"load: {load_generator}, {CONNECTIONS} keep-alive connections, {seconds:g} s "
            f"per contender per round, {rounds} rounds, {USERS} users"
        )
        result.notes.extend(f"unexpected answers: {problem}" for problem in problems[kind])
    read.ratio_target(UNCACHED, 2.0)
    read.ratio_target(MANUAL, 0.9, to=INJECT, description="Inject form >= 0.9x manual wiring")
    return [read, write]
