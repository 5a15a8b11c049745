"""Fixtures for reliability tests: real servers started as subprocesses, always stopped."""

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.servers import PostgresServerProcess, ServerProcess

StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `python -m app serve` with the given `APP_*` settings; each is stopped afterwards.

    `start_server(settings)` waits until the server is ready; pass `ready=False` to return
    as soon as the process is started.
    """
    started: list[ServerProcess] = []

    def start(
        settings: Mapping[str, str], *, name: str = "server", ready: bool = True
    ) -> ServerProcess:
        server = ServerProcess(settings, tmp_path, name)
        started.append(server)
        server.start()
        if ready:
            server.wait_until_ready()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def spare_postgres() -> Iterator[PostgresServerProcess]:
    """A running private PostgreSQL server the test may stop, crash or freeze (never the shared
    one); removed afterwards. Skipped where the server binaries are not installed, except in CI."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        reason = "PostgreSQL server binaries not installed: outage tests start their own server"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = PostgresServerProcess(found[-1].parent)
    try:
        server.start()
        yield server
    finally:
        server.remove()
