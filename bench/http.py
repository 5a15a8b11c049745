"""HTTP: `GET /api/users/{id}` and `POST /api/users` through uvicorn on loopback.

Every contender is its own server process (one worker, uvloop + httptools) on its own
SQLite file; load comes from another process at a fixed number of connections, one
contender at a time, in rotating order. The Wirework app runs as `python -m app serve`
runs it (its uvicorn options, its log configuration, its access line on; the server's log
goes to a file). The other rows run under plain uvicorn with no access log. A full run
starts a fresh process per contender per round and warms it before measuring: two
processes of the same app differ for their whole life (memory layout, hash seed), so a
contender kept in one process for every round would carry that luck into its median.
`--quick` starts one process per contender, all at once, and keeps it for all its rounds.
Contenders:

- the full Wirework app (`python -m app serve`: container, middlewares, metrics, access line);
- the same app (`app.main:app`) under plain uvicorn, no access log (`APP_LOG__ACCESS=false`,
  uvicorn's `--no-access-log`): what the access line and serve's log configuration cost;
- the same as served, with a one-entry cache, so nearly every GET misses (the uncached figure);
- `bench.http_apps:manual_app` and `depends_app`: hand-written FastAPI apps doing the same
  work on the same services, wired by hand (the limit) or with `Depends` only;
- `bench.http_apps:inject_app`: the same on Wirework's container, through the documented
  injection form (`Annotated` aliases over `app.dependencies.Inject`).
"""

import contextlib
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.harness import BenchmarkResult, Options, interleave, log, rows_from, timed
from bench.load import Load, LoadGenerator, generator

CONNECTIONS = 32
USERS = 100
WARMUP_SECONDS = 0.5
"""Unmeasured load on each fresh server first: its first requests fill caches and pools."""
ROOT = Path(__file__).resolve().parent.parent

WIREWORK = "wirework app (python -m app serve, access line on)"
PLAIN = "wirework app under plain uvicorn, no access log"
UNCACHED = "wirework app (serve), cache misses"
MANUAL = "FastAPI, manual wiring (limit)"
DEPENDS = "FastAPI, Depends only"
INJECT = "FastAPI + Wirework Inject form"

APP_GAP: Final = (
    "the hand-written apps run the endpoint alone; per request the app adds five middlewares "
    "(request ID with metrics and the access line, lifespan guard, body limit, forwarded "
    "headers, API key), the per-user authorisation dependency of /api/users*, and FastAPI's "
    "matching through included routers, which walks the chosen router's routes once to match "
    "and again to handle"
)
INJECT_GAP: Final = (
    "per request the endpoint's providers are called on the request's container (a resource "
    "answers with a future to await), where a hand-wired endpoint reads an attribute"
)

_LAUNCHES: Final = itertools.count(1)

SERVE: Final = ("-m", "app", "serve")
UVICORN: Final = ("-m", "uvicorn", "--no-access-log", "--log-level", "warning")
FACTORY: Final = (*UVICORN, "--factory")

SPECS: Final = {
    WIREWORK: (SERVE, {}),
    PLAIN: ((*UVICORN, "app.main:app"), {"APP_LOG__ACCESS": "false"}),
    UNCACHED: (SERVE, {"APP_CACHE__MAX_SIZE": "1"}),
    MANUAL: ((*FACTORY, "bench.http_apps:manual_app"), {}),
    DEPENDS: ((*FACTORY, "bench.http_apps:depends_app"), {}),
    INJECT: ((*FACTORY, "bench.http_apps:inject_app"), {}),
}
"""Each contender's command (after the interpreter) and the environment it differs in."""


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]


def _free_ports(count: int) -> list[int]:
    """`count` different ports free now (held together while chosen, so none repeats)."""
    with contextlib.ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def _request(port: int, method: str, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _seed(server: Server) -> None:
    """Create `USERS` users, one after another on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    try:
        for number in range(1, USERS + 1):
            user = {"username": f"seed{number}", "email": f"seed{number}@example.com"}
            connection.request("POST", "/api/users", json.dumps(user).encode(), headers)
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"{server.name}: seeding a user answered {response.status}")
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


def _launch(name: str, port: int, folder: Path, wrapper: Sequence[str] = ()) -> Server:
    """Start contender `name` (of `SPECS`) on `port` and a new SQLite file; `wrapper` goes
    before the interpreter on the command line (a profiler)."""
    arguments, extra_env = SPECS[name]
    database = fresh_database_url(folder)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("APP_")},
        "APP_DATABASE__URL": database,
        "BENCH_DATABASE_URL": database,
        "APP_ENVIRONMENT": "development",
        **extra_env,
    }
    command = [*wrapper, sys.executable, *arguments, "--host", "127.0.0.1", "--port", str(port)]
    with _log_file(folder, port).open("wb") as output:  # the access lines, as a deployment's
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    return Server(name, port, process)


def fresh_database_url(folder: Path) -> str:
    """A SQLite file in `folder` that no server has used: a port the OS hands out again must
    not bring back an earlier server's users."""
    return f"sqlite:///{folder / f'server-{next(_LAUNCHES)}.db'}"


def _log_file(folder: Path, port: int) -> Path:
    return folder / f"server{port}.log"


def _seeded(server: Server, folder: Path, start_timeout: float = 30.0) -> Server:
    """`server` once it answers, with `USERS` users."""
    try:
        _wait_until_serving(server, start_timeout)
    except RuntimeError as error:
        log_text = _log_file(folder, server.port).read_text()[-2000:]
        raise RuntimeError(f"{error}; its log ends: {log_text}") from None
    _seed(server)
    return server


def _stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def serving(
    names: Sequence[str], folder: Path, *, wrapper: Sequence[str] = (), start_timeout: float = 30.0
) -> Iterator[dict[str, Server]]:
    """Fresh, seeded servers for `names`, started at once, stopped on the way out."""
    with contextlib.ExitStack() as started:
        launched = []
        for name, port in zip(names, _free_ports(len(names)), strict=True):
            server = _launch(name, port, folder, wrapper)
            started.callback(_stop, server)
            launched.append(server)
        yield {server.name: _seeded(server, folder, start_timeout) for server in launched}


def run(options: Options) -> list[BenchmarkResult]:
    load_generator = generator(options.load_generator)
    seconds = options.pick(2.0, 0.4)
    warmup_seconds = options.pick(WARMUP_SECONDS, WARMUP_SECONDS / 2)
    rounds = options.pick(5, 3)
    reads = options.pick(
        (WIREWORK, PLAIN, UNCACHED, MANUAL, DEPENDS, INJECT), (WIREWORK, PLAIN, MANUAL)
    )
    writes = options.pick((WIREWORK, PLAIN, MANUAL, DEPENDS), (WIREWORK, MANUAL))
    read = BenchmarkResult(f"HTTP GET /api/users/{{id}}, {CONNECTIONS} connections", "req/s")
    write = BenchmarkResult(f"HTTP POST /api/users, {CONNECTIONS} connections", "req/s")
    problems: dict[str, list[str]] = {"get": [], "post": []}
    batch = f"{os.getpid()}x{int(time.time())}"
    round_numbers = itertools.count(1)
    warmed: set[tuple[str, str]] = set()

    with (
        timed(read),
        tempfile.TemporaryDirectory(prefix="wirework-bench-http-") as folder,
        LoadGenerator(load_generator) as loads,
        contextlib.ExitStack() as kept,
    ):

        def load(server: Server, kind: str) -> float:
            # A kept server is warmed once for each kind of request, a fresh one every time.
            warmup = () if (server.name, kind) in warmed else (warmup_seconds,)
            warmed.add((server.name, kind))
            # Usernames must be new on every run: each load run gets its own prefix.
            for seconds_of_load in (*warmup, seconds):
                prefix = f"b{batch}r{next(round_numbers)}"
                figures = loads.run(
                    Load(server.port, kind, USERS, prefix, seconds_of_load, CONNECTIONS)
                )
            if figures["non_2xx"] or figures["failures"]:
                problems[kind].append(f"{server.name}: {figures}")
            return float(figures["rps"])

        if options.quick:
            log(f"  http: one server per contender for every round; load from {load_generator}")
            servers = kept.enter_context(
                serving(list(dict.fromkeys((*reads, *writes))), Path(folder))
            )

            def measure(name: str, kind: str) -> float:
                return load(servers[name], kind)

        else:
            log(f"  http: a fresh server per contender per round; load from {load_generator}")

            def measure(name: str, kind: str) -> float:
                with serving([name], Path(folder)) as fresh:
                    warmed.discard((name, kind))
                    return load(fresh[name], kind)

        def contenders(names: tuple[str, ...], kind: str) -> list[tuple[str, Callable[[], float]]]:
            return [(name, functools.partial(measure, name, kind)) for name in names]

        read.rows = rows_from(interleave(contenders(reads, "get"), rounds=rounds, warmup=0))
        started = time.perf_counter()
        write.rows = rows_from(interleave(contenders(writes, "post"), rounds=rounds, warmup=0))
        write.seconds = time.perf_counter() - started
    read.seconds -= write.seconds

    processes = options.pick(
        "a fresh server process each", "one server process per contender, kept"
    )
    for kind, result, names in (("get", read, reads), ("post", write, writes)):
        result.ratio_target(MANUAL, 0.9, cause=APP_GAP)
        if PLAIN in names:
            result.ratio_target(
                MANUAL,
                0.9,
                to=PLAIN,
                description="plain uvicorn, no access log >= 0.9x manual",
                cause=APP_GAP,
            )
        if DEPENDS in names:
            result.ratio_target(DEPENDS, 1.0, cause=APP_GAP)
        result.notes.append(
            f"load: {load_generator}, {CONNECTIONS} keep-alive connections, {seconds:g} s "
            f"per contender per round after {warmup_seconds:g} s of warm-up (--quick: before "
            f"its first round only), {rounds} rounds, {processes}, {USERS} users; the "
            "`serve` rows log an access line per request to a file, the others log none"
        )
        result.notes.extend(f"unexpected answers: {problem}" for problem in problems[kind])
    if UNCACHED in reads:
        read.ratio_target(UNCACHED, 2.0)
    if INJECT in reads:
        read.ratio_target(
            MANUAL,
            0.9,
            to=INJECT,
            description="Inject form >= 0.9x manual wiring",
            cause=INJECT_GAP,
        )
    return [read, write]
