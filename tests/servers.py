"""Real server processes for tests: Wirework itself (`python -m app serve`), Redis, PostgreSQL.

Both listen on a spare loopback port and are always stopped by the fixture that started
them. Traffic never leaves 127.0.0.1.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Final

import httpx
import uvicorn
from starlette.types import ASGIApp

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0
"""Seconds a server gets to answer its readiness probe; generous for a busy 2-core machine."""


def free_port() -> int:
    """A loopback port nothing listens on, kept from other sockets until a server binds it.

    A port that is merely closed again may be handed to another socket (an outgoing
    connection, another test's spare port) before the server binds it. One connection is
    made to it and closed from the listening side, which leaves the port in TIME_WAIT for a
    minute: the kernel then hands it to no socket, yet a server setting SO_REUSEADDR (uvicorn,
    Redis, PostgreSQL) binds it.
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the side that closes first keeps the TIME_WAIT
            client.recv(1)  # wait until the close has reached the client
    return port


def server_environment() -> dict[str, str]:
    """This process's environment without the developer's settings: `APP_TEST_*` stays."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("APP_") or name.startswith("APP_TEST_")
    }
    return environment | {"APP_ENVIRONMENT": "test"}


LISTENING: Final = b"Uvicorn running on "
"""What uvicorn prints once the application has started and the socket listens."""
STARTED: Final = b"Application startup complete"
"""What uvicorn prints once the application's lifespan has started (also in a reload worker)."""


class OutputCopy:
    """Copies a process's output to a log file line by line, from a thread of its own, and
    notes when a line holding `marker` has gone by.

    So a test waits on events, not by polling: `seen` for the marker, `finish` for the end of
    the output, which comes when the process exits, and `settled` for whichever is first.
    """

    def __init__(self, output: IO[bytes], log_path: Path, marker: bytes) -> None:
        self.seen = threading.Event()
        self.settled = threading.Event()
        self._output = output
        self._log_path = log_path
        self._marker = marker
        self._thread = threading.Thread(target=self._copy, name="process-output", daemon=True)
        self._thread.start()

    def finish(self, timeout: float = 10) -> bool:
        """Wait until the output ends; whether it did within `timeout` seconds."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _copy(self) -> None:
        try:
            with self._output, self._log_path.open("ab", buffering=0) as log:
                for line in self._output:
                    log.write(line)
                    if self._marker in line:
                        self.seen.set()
                        self.settled.set()
        finally:
            self.settled.set()


class ServerProcess:
    """One `python -m app serve` on a spare loopback port, its output in `log_path`.

    `settings` are `APP_*` variables on top of a test environment: none of the developer's
    `APP_*` variables (only `APP_TEST_*`), `APP_ENVIRONMENT=test`. It runs in `directory`, so no
    `.env` and no `./data/` of the checkout reach it. So a server shared by a module's tests
    (started before any test's own fixtures) sees the same as one started inside a test.
    """

    def __init__(self, settings: Mapping[str, str], directory: Path, name: str = "server") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / f"{name}.log"
        self._settings = dict(settings)
        self._directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self._output: OutputCopy | None = None

    def start(self) -> "ServerProcess":
        """Start the process (again, on the same port); returns at once, see `wait_until_ready`."""
        environment = {
            **server_environment(),
            **self._settings,
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
            cwd=self._directory,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        self._output = OutputCopy(self.process.stdout, self.log_path, LISTENING)
        return self

    @property
    def pid(self) -> int:
        return self._running().pid

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until uvicorn says it listens, then check `/api/ready` answers 200.

        Waiting on the output, not polling the port: the test goes on the moment the server
        is up, and no sleep is spent meanwhile. Raises with the server log if it never is.
        """
        process = self._running()
        assert self._output is not None
        # Whichever comes first: the marker, or the end of the output when the process exits.
        if not self._output.settled.wait(timeout):
            raise RuntimeError(f"server at {self.url} not ready after {timeout} s:\n{self.log()}")
        if not self._output.seen.is_set():
            raise RuntimeError(f"server at {self.url} exited with {process.wait()}:\n{self.log()}")
        status = httpx.get(f"{self.url}/api/ready", timeout=10).status_code
        if status != 200:
            raise RuntimeError(f"server at {self.url} up but not ready ({status}):\n{self.log()}")

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **options)  # type: ignore[arg-type]

    def async_client(self, **options: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10, **options)  # type: ignore[arg-type]

    def send_signal(self, sig: signal.Signals) -> None:
        self._running().send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush, close or say goodbye."""
        process = self._running()
        process.kill()
        process.wait()
        self._finish_output()

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit; its status. Raises `subprocess.TimeoutExpired`."""
        process = self._running()
        assert self._output is not None
        # The output ends when the process exits: waiting on it, unlike `Popen.wait(timeout)`,
        # does not poll.
        if not self._output.finish(timeout):
            raise subprocess.TimeoutExpired(process.args, timeout)
        return process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 15 s; safe to call twice."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                self.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._finish_output()

    def log(self) -> str:
        """Everything the server printed, all of it once the process has exited."""
        if self.process is not None and self.process.poll() is not None:
            self._finish_output()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _finish_output(self) -> None:
        if self._output is not None:
            self._output.finish()

    def _running(self) -> "subprocess.Popen[bytes]":
        if self.process is None:
            raise RuntimeError("the server was never started")
        return self.process


class RedisServerProcess:
    """A private redis-server on a spare loopback port, for tests that take Redis down.

    It keeps nothing on disk, so a restart on the same port comes back empty.
    """

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._binary = binary
        self._directory = directory
        self._process: asyncio.subprocess.Process | None = None
        self._paused = False

    async def start(self) -> None:
        """Start the server (again) on `port` and wait until it answers PING."""
        self._process = await asyncio.create_subprocess_exec(
            self._binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._directory)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while not await self._answers():
                if self._process.returncode is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited at start-up")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Terminate the server and wait for it to exit; clients now get connection refused."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if self._paused:
            process.send_signal(signal.SIGCONT)
            self._paused = False
        process.terminate()
        await process.wait()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Unfreeze the server (SIGCONT); it answers what was sent meanwhile."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)
        self._paused = False

    async def _answers(self) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return await reader.readline() == b"+PONG\r\n"
        except OSError:
            return False
        finally:
            writer.close()


class PostgresServerProcess:
    """A private PostgreSQL cluster on a spare loopback port, for tests that stop or freeze it.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    and lives in a folder of its own under the system's temporary folder.
    """

    def __init__(self, bin_dir: Path) -> None:
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._bin_dir = bin_dir
        self._folder = Path(tempfile.mkdtemp(prefix="wirework-postgres-"))
        self._data = self._folder / "data"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self._folder, "postgres", "postgres")
            self._as_owner = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        options = f"-p {self.port} -k {self._folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self._folder / "server.log")
        self._run("pg_ctl", "-D", str(self._data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (clean, clients disconnected) or `immediate` (a crash)."""
        self.resume()
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def pause(self) -> None:
        """Freeze every server process (SIGSTOP): connections stay open, nothing answers."""
        signal_every(self._processes(), signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze them (SIGCONT); they answer what was sent meanwhile."""
        signal_every(self._processes(), signal.SIGCONT)

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        if (self._data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self._folder, ignore_errors=True)

    def _processes(self) -> list[int]:
        try:
            postmaster = int((self._data / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return []
        children = [
            int(stat.parent.name)
            for stat in Path("/proc").glob("[0-9]*/stat")
            if _parent_pid(stat) == postmaster
        ]
        return [postmaster, *children]

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_owner, str(self._bin_dir / program), *args]
        subprocess.run(command, check=True, capture_output=True, cwd=self._folder)  # noqa: S603


def signal_every(pids: Iterable[int], sig: signal.Signals) -> None:
    """Send `sig` to each process; one that has exited since it was listed is skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _parent_pid(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class InProcessServer:
    """uvicorn serving an application object on a spare loopback port, in a thread.

    For tests that must reach the very container the server uses (to override a service
    while it serves). `python -m app serve` (`ServerProcess`) is the real thing otherwise.
    """

    def __init__(self, app: "ASGIApp") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="in-process-server")

    def __enter__(self) -> "InProcessServer":
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"in-process server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
