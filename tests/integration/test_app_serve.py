"""`python -m app serve --reload` end to end: the reload worker must open the database."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port


@pytest.fixture
def reloading_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    port = free_port()
    database = tmp_path / "served.db"
    log = tmp_path / "server.log"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("APP_")}
    environment["APP_DATABASE__URL"] = f"sqlite:///{database}"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "app", "serve", "--reload", "--port", str(port)],
            cwd=tmp_path,  # no .env, no ./data/ of the checkout
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the supervisor and its worker stop together
        )
    try:
        yield f"http://127.0.0.1:{port}", database, log
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when shutdown hangs
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.slow
def test_the_reload_worker_serves_with_its_resources_open(
    reloading_server: tuple[str, Path, Path],
) -> None:
    base_url, database, log = reloading_server
    deadline = time.monotonic() + 20
    response = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/api/ready", timeout=2)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    assert response is not None, f"no answer within 20 s; server log:\n{log.read_text()}"
    assert response.status_code == 200, response.text
    created = httpx.post(
        f"{base_url}/api/users", json={"username": "ada", "email": "ada@example.com"}
    )
    assert created.status_code == 201
    assert database.is_file()
