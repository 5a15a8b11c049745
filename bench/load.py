"""HTTP load from a separate process: `wrk` when installed, else this keep-alive client.

`python -m bench.load --port 8001 --kind get --ids 100 --seconds 2 --connections 32`
prints one JSON line: requests, non-2xx answers, failures and requests per second;
`python -m bench.load --serve` reads one JSON `Load` a line and answers each the same way,
so a benchmark starts the client's process once rather than once per round. The client is
asyncio with raw streams (uvloop when installed) and HTTP/1.1 keep-alive: each connection
sends a request, reads the whole answer, and sends the next.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

WRK_SCRIPT = """
local kind, ids, prefix
local counter = 0
function init(args)
  kind = args[1]
  ids = tonumber(args[2])
  prefix = args[3]
  math.randomseed(os.time())
end
function request()
  counter = counter + 1
  if kind == "get" then
    return wrk.format("GET", "/api/users/" .. math.random(1, ids))
  end
  local name = prefix .. "_" .. counter
  return wrk.format("POST", "/api/users", {["Content-Type"] = "application/json"},
    '{"username":"' .. name .. '","email":"' .. name .. '@example.com"}')
end
"""


@dataclass(frozen=True)
class Load:
    """One run of load against one server."""

    port: int
    kind: str  # get | post
    ids: int  # GETs pick a user id in 1..ids
    prefix: str  # POSTs create users named {prefix}_{n}: new on every run
    seconds: float
    connections: int


def request_bytes(kind: str, ids: int, name: str, draw: random.Random) -> bytes:
    """One HTTP/1.1 request: a random user's GET, or the POST of a new user called `name`."""
    if kind == "get":
        return f"GET /api/users/{draw.randint(1, ids)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    body = json.dumps({"username": name, "email": f"{name}@example.com"}).encode()
    head = (
        "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(load: Load, prefix: str, deadline: float, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", load.port)
    draw = random.Random()
    number = 0
    try:
        while time.perf_counter() < deadline:
            number += 1
            writer.write(request_bytes(load.kind, load.ids, f"{prefix}_{number}", draw))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            counts["requests"] += 1
            if not 200 <= status < 300:
                counts["non_2xx"] += 1
    except (OSError, asyncio.IncompleteReadError):
        counts["failures"] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _python_load(load: Load) -> dict[str, Any]:
    counts = {"requests": 0, "non_2xx": 0, "failures": 0}
    started = time.perf_counter()
    deadline = started + load.seconds
    await asyncio.gather(
        *(
            _connection(load, f"{load.prefix}c{index}", deadline, counts)
            for index in range(load.connections)
        )
    )
    elapsed = time.perf_counter() - started
    return {**counts, "seconds": elapsed, "rps": counts["requests"] / elapsed}


def python_load(load: Load) -> dict[str, Any]:
    """Run the Python client in this process (call it in a subprocess: see `run_load`)."""
    coroutine = _python_load(load)
    try:
        import uvloop  # noqa: PLC0415

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def wrk_load(load: Load) -> dict[str, Any]:
    """Run wrk (one thread) with a script that makes the same requests as the Python client."""
    with tempfile.TemporaryDirectory(prefix="wirework-wrk-") as folder:
        script = Path(folder) / "users.lua"
        script.write_text(WRK_SCRIPT)
        command = [
            "wrk",
            "-t1",
            f"-c{load.connections}",
            f"-d{max(1, round(load.seconds))}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{load.port}",
            "--",
            load.kind,
            str(load.ids),
            load.prefix,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = {"requests": 0, "non_2xx": 0, "failures": 0, "rps": 0.0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(words[1])
        elif "requests in" in line:
            figures["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["non_2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            figures["failures"] = sum(int(word.strip(",")) for word in words[3::2])
    return figures


def generator(choice: str) -> str:
    """`wrk` or `python`: what `auto` resolves to on this machine."""
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return choice


class LoadGenerator:
    """Runs each `Load` from a process other than the servers': wrk, or one Python client
    process started on entering and kept for every load (`--serve`)."""

    def __init__(self, choice: str) -> None:
        self.name = generator(choice)
        self._client: subprocess.Popen[str] | None = None

    def __enter__(self) -> "LoadGenerator":
        if self.name == "python":
            command = [sys.executable, "-m", "bench.load", "--serve"]
            self._client = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._pipe(self._client.stdin).close()
            self._client.wait(timeout=30)
            self._client = None

    @staticmethod
    def _pipe(stream: IO[str] | None) -> IO[str]:
        if stream is None:
            raise RuntimeError("the load client's pipes are closed")
        return stream

    def run(self, load: Load) -> dict[str, Any]:
        """Load one server for `load.seconds`; what it answered."""
        if self._client is None:
            return wrk_load(load)
        self._pipe(self._client.stdin).write(json.dumps(dataclasses.asdict(load)) + "\n")
        self._pipe(self._client.stdin).flush()
        answer = self._pipe(self._client.stdout).readline()
        if not answer:
            raise RuntimeError(f"the load client exited with {self._client.wait()}")
        return json.loads(answer)  # type: ignore[no-any-return]


def _serve() -> None:
    for line in sys.stdin:
        print(json.dumps(python_load(Load(**json.loads(line)))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--serve", action="store_true", help="run the loads read from stdin")
    parser.add_argument("--port", type=int)
    parser.add_argument("--kind", choices=("get", "post"), default="get")
    parser.add_argument("--ids", type=int, default=100)
    parser.add_argument("--prefix", default="load")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    arguments = parser.parse_args()
    if arguments.serve:
        _serve()
        return
    if arguments.port is None:
        parser.error("--port is required (or --serve)")
    figures = python_load(
        Load(
            arguments.port,
            arguments.kind,
            arguments.ids,
            arguments.prefix,
            arguments.seconds,
            arguments.connections,
        )
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
