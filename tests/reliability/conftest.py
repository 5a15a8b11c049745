"""Fixtures for reliability tests: real servers started as subprocesses, always stopped."""

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.servers import ServerProcess

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
