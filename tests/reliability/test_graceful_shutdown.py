"""Graceful shutdown: SIGTERM with requests in flight.

A request is made "in flight" deterministically: the client sends the headers and half the
body, so the server has accepted it and the application is waiting for the rest. Then the
test sends SIGTERM, checks that new connections are refused, sends the rest, and expects
every in-flight request to complete. The process must exit within the configured grace
time (`APP_SERVER__SHUTDOWN_TIMEOUT`), after stopping the scheduler and closing the pool.
What it stored is read from the database file afterwards.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest

from containers import Container
from tests.helpers import dependency_edges
from tests.reliability.conftest import StartServer
from tests.servers import ServerProcess

_CLOSED_LOG_LINE = "closed " + ", ".join(reversed(dependency_edges(Container())))
"""What the shutdown logs: every service of the container, dependents first."""

pytestmark = pytest.mark.slow

IN_FLIGHT = 5
SHUTDOWN_TIMEOUT = 30.0
"""Grace time when the requests in flight do finish: far more than they need, so reaching it
(which uvicorn logs) would mean the server waited for nothing."""
STALLED_SHUTDOWN_TIMEOUT = 1.5
"""Grace time when a request never finishes: shutdown waits all of it."""


@dataclass
class HalfSentRequest:
    """A POST /api/users whose body is only half sent."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    rest: bytes

    @property
    def client_port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    @classmethod
    async def open(cls, port: int, username: str) -> "HalfSentRequest":
        body = json.dumps({"username": username, "email": f"{username}@example.com"}).encode()
        head = (
            "POST /api/users HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        half = len(body) // 2
        writer.write(head + body[:half])
        await writer.drain()
        return cls(reader, writer, body[half:])

    async def finish(self) -> tuple[int, dict[str, object]]:
        """Send the rest of the body; the response's status and JSON body."""
        self.writer.write(self.rest)
        await self.writer.drain()
        response = await asyncio.wait_for(self.reader.read(), timeout=10)
        self.writer.close()
        head, _, body = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(body) if body else {}

    def abandon(self) -> None:
        self.writer.close()


def _refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def _read_by_server(server_port: int, client_ports: Collection[int]) -> bool:
    """Whether the server has read everything these clients sent: its end of each connection
    has an empty receive queue (Linux's /proc/net/tcp, ports in hexadecimal)."""
    unread: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, _, queues = line.split()[1:5]
        if int(local.split(":")[1], 16) == server_port:
            unread[int(remote.split(":")[1], 16)] = int(queues.split(":")[1], 16)
    return all(unread.get(port) == 0 for port in client_ports)


async def _wait_until_read(server: ServerProcess, requests: list[HalfSentRequest]) -> None:
    """Until the server has read the half-sent requests: only then are they in flight."""
    deadline = time.monotonic() + 10
    while not _read_by_server(server.port, [request.client_port for request in requests]):
        assert time.monotonic() < deadline, "the server did not read the requests in 10 s"
        await asyncio.sleep(0.01)


def _stored_usernames(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {name for (name,) in connection.execute("SELECT username FROM users")}


async def _wait_until_refusing(server: ServerProcess, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not _refuses_connections(server.port):
        assert time.monotonic() < deadline, "the server still accepts connections after SIGTERM"
        await asyncio.sleep(0.02)


def _settings(database: Path, shutdown_timeout: float) -> dict[str, str]:
    return {
        "APP_DATABASE__URL": f"sqlite:///{database}",
        "APP_SERVER__SHUTDOWN_TIMEOUT": str(shutdown_timeout),
        "APP_BACKGROUND__HEARTBEAT_INTERVAL": "0.2",  # so the scheduler has a task to cancel
    }


async def test_sigterm_finishes_in_flight_requests_then_closes_everything(
    start_server: StartServer, tmp_path: Path
) -> None:
    database = tmp_path / "graceful.db"
    server = start_server(_settings(database, SHUTDOWN_TIMEOUT))
    requests = [await HalfSentRequest.open(server.port, f"inflight{n}") for n in range(IN_FLIGHT)]
    await _wait_until_read(server, requests)

    server.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    await _wait_until_refusing(server)  # a request that arrives now is refused, not dropped
    assert server.process is not None
    assert server.process.poll() is None, "the server exited with requests in flight"

    outcomes = await asyncio.gather(*(request.finish() for request in requests))
    assert [status for status, _ in outcomes] == [201] * IN_FLIGHT, outcomes
    exit_status = await asyncio.to_thread(server.wait, SHUTDOWN_TIMEOUT + 10)
    shutdown_seconds = time.monotonic() - signalled

    # A graceful stop is a success: `serve` exits 0 rather than die of the SIGTERM uvicorn
    # re-raises, so `make run` and supervisors do not report a failure.
    assert exit_status == 0, server.log()
    log = server.log()
    assert "timeout graceful shutdown exceeded" not in log  # it ended when the requests did
    assert "background scheduler stopped: its tasks are cancelled" in log
    assert _CLOSED_LOG_LINE in log
    assert "Application shutdown complete" in log
    assert "Finished server process" in log
    assert "ignored cancellation" not in log  # every scheduled task ended when cancelled
    print(f"\ngraceful shutdown with {IN_FLIGHT} requests in flight: {shutdown_seconds:.2f} s")
    # SQLite removes the WAL file when the last connection closes cleanly: the pool closed.
    assert not os.path.exists(f"{database}-wal")  # noqa: ASYNC240  # the server is gone
    assert _stored_usernames(database) == {f"inflight{n}" for n in range(IN_FLIGHT)}


async def test_a_request_that_never_finishes_is_cut_off_at_the_grace_time(
    start_server: StartServer, tmp_path: Path
) -> None:
    database = tmp_path / "stalled.db"
    server = start_server(_settings(database, STALLED_SHUTDOWN_TIMEOUT))
    stalled = await HalfSentRequest.open(server.port, "stalled")
    await _wait_until_read(server, [stalled])

    server.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    exit_status = await asyncio.to_thread(server.wait, STALLED_SHUTDOWN_TIMEOUT + 10)
    shutdown_seconds = time.monotonic() - signalled
    stalled.abandon()

    assert exit_status == 0, server.log()
    # It waited for the request until the grace time ran out, then cut it off.
    grace = STALLED_SHUTDOWN_TIMEOUT
    assert shutdown_seconds >= grace - 0.5, shutdown_seconds
    log = server.log()
    assert "timeout graceful shutdown exceeded" in log
    print(f"\nshutdown with a stalled request: {shutdown_seconds:.2f} s (grace {grace} s)")
    assert _CLOSED_LOG_LINE in log
    assert not os.path.exists(f"{database}-wal")  # noqa: ASYNC240  # the server is gone
    assert _stored_usernames(database) == set()
