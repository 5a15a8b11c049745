"""HTTP GET in instructions: what each request costs the server, counted rather than timed.

The same contenders as `bench/http.py`, each a fresh server process (the Wirework app as
`python -m app serve` runs it, the others under plain uvicorn) started under valgrind's callgrind
with counting off; once warm (every user read once, so the cache
holds them), counting goes on and the server answers `REQUESTS` cached reads on one
keep-alive connection. Instructions per request do not move with the machine's load the
way requests per second do (two identical server processes differ in `bench/http.py`), so
this table tells what the framework costs; the HTTP table tells what it gives under load.
It needs `valgrind` (`apt-get install valgrind`), else it says "skipped".
"""

import http.client
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import BenchmarkResult, Options, log, rows_from, timed
from bench.http import (
    APP_GAP,
    DEPENDS,
    INJECT,
    INJECT_GAP,
    MANUAL,
    PLAIN,
    UNCACHED,
    USERS,
    WIREWORK,
    Server,
    serving,
)

REQUESTS = 2_000
CALLGRIND = (
    "valgrind",
    "--quiet",
    "--tool=callgrind",
    "--instr-atstart=no",
    "--callgrind-out-file=/dev/null",
)
START_TIMEOUT = 300.0
"""An uninstrumented start-up under valgrind still takes ten times as long as without."""
_THREAD_TOTAL = re.compile(r"Th \d+\s+([\d,]+)")


def _control(server: Server, *arguments: str) -> str:
    command = ("callgrind_control", *arguments, str(server.process.pid))
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


def _read_users(connection: http.client.HTTPConnection, count: int) -> None:
    for number in range(count):
        connection.request("GET", f"/api/users/{number % USERS + 1}")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET /api/users/{number % USERS + 1} answered {response.status}")


def _instructions_per_request(name: str, folder: Path, requests: int) -> float:
    with serving([name], folder, wrapper=CALLGRIND, start_timeout=START_TIMEOUT) as servers:
        server = servers[name]
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        try:
            _read_users(connection, 2 * USERS)
            _control(server, "-i", "on")
            _read_users(connection, USERS)  # the first instrumented pass is not counted
            _control(server, "-z")
            _read_users(connection, requests)
            totals = _control(server, "-e")
        finally:
            connection.close()
    counts = [int(figure.replace(",", "")) for figure in _THREAD_TOTAL.findall(totals)]
    if not counts:
        raise RuntimeError(f"{name}: callgrind_control printed no totals: {totals!r}")
    return sum(counts) / requests


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("HTTP GET /api/users/{id}, instructions per request", "instr")
    result.higher_is_better = False
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        result.skipped = "valgrind is not installed (apt-get install valgrind)"
        return result
    requests = options.pick(REQUESTS, REQUESTS // 4)
    names = (WIREWORK, PLAIN, UNCACHED, MANUAL, DEPENDS, INJECT)
    log(f"  instructions: {len(names)} servers under callgrind, two at a time")
    with (
        timed(result),
        tempfile.TemporaryDirectory(prefix="wirework-bench-instr-") as folder,
        ThreadPoolExecutor(max_workers=2) as pool,  # a count does not mind sharing the cores
    ):
        counts = pool.map(
            lambda name: _instructions_per_request(name, Path(folder), requests), names
        )
        result.rows = rows_from({name: [count] for name, count in zip(names, counts, strict=True)})
    result.ratio_target(MANUAL, 0.9, cause=APP_GAP)
    result.ratio_target(DEPENDS, 1.0, cause=APP_GAP)
    result.ratio_target(
        MANUAL,
        0.9,
        to=PLAIN,
        description="plain uvicorn, no access log >= 0.9x manual",
        cause=APP_GAP,
    )
    result.ratio_target(
        MANUAL,
        0.9,
        to=INJECT,
        description="Inject form >= 0.9x manual wiring",
        cause=INJECT_GAP,
    )
    result.notes.append(
        f"callgrind, {requests:,} sequential reads on one keep-alive connection per contender, "
        "counted in every thread of the server after a warm-up; a count, so one round. No "
        "cached-vs-uncached target here: a miss costs more in waiting on SQLite's thread than "
        "in instructions"
    )
    return result
