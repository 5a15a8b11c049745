"""`python -m app serve --reload` end to end: the reload worker must open the database."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import START_TIMEOUT, STARTED, OutputCopy, free_port, server_environment


@pytest.fixture
def reloading_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    port = free_port()
    database = tmp_path / "served.db"
    log = tmp_path / "server.log"
    environment = server_environment() | {"APP_DATABASE__URL": f"sqlite:///{database}"}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "app", "serve", "--reload", "--port", str(port)],
        cwd=tmp_path,  # no .env, no ./data/ of the checkout
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the supervisor and its worker stop together
    )
    assert server.stdout is not None
    output = OutputCopy(server.stdout, log, STARTED)
    try:
        output.settled.wait(START_TIMEOUT)  # started, or exited
        assert output.seen.is_set(), f"the worker did not start:\n{log.read_text()}"
        yield f"http://127.0.0.1:{port}", database, log
    finally:
        os.killpg(server.pid, signal.SIGINT)
        if not output.finish(timeout=10):  # both processes have exited once their output ends
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.mark.slow
def test_the_reload_worker_serves_with_its_resources_open(
    reloading_server: tuple[str, Path, Path],
) -> None:
    base_url, database, _ = reloading_server
    # The worker says its start-up is complete just before it listens on the socket the
    # supervisor bound: a connection in between is refused, and is tried again.
    with httpx.Client(transport=httpx.HTTPTransport(retries=5), timeout=10) as client:
        response = client.get(f"{base_url}/api/ready")
    assert response.status_code == 200, response.text
    created = httpx.post(
        f"{base_url}/api/users", json={"username": "ada", "email": "ada@example.com"}
    )
    assert created.status_code == 201
    assert database.is_file()
