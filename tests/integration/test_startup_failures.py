"""`python -m app serve` that cannot start: a few lines naming the setting and the fix.

Each case runs a real server process against a real failure (a missing database, a closed
port, Redis down, a folder that cannot be created), as an operator would meet it.
"""

import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from tests.servers import ServerProcess, free_port, server_environment

MOST_LINES: Final = 9
"""uvicorn's three lines, what started and was closed again (up to three), the report's three."""


def failed_start(settings: dict[str, str], directory: Path) -> str:
    """Start a server that must fail; its whole output, once it has exited non-zero."""
    server = ServerProcess(settings, directory).start()
    try:
        status = server.wait(timeout=30)
    finally:
        server.stop()
    output = server.log()
    assert status != 0, output
    assert "Traceback" not in output, output
    assert len(output.splitlines()) <= MOST_LINES, output
    return output


def test_missing_postgres_database(postgres_server_url: str, tmp_path: Path) -> None:
    name = f"wirework_missing_{uuid.uuid4().hex[:12]}"
    url = urlunsplit(urlsplit(postgres_server_url)._replace(path=f"/{name}"))
    output = failed_start({"APP_DATABASE__URL": url}, tmp_path)
    assert f'database "{name}" does not exist' in output
    assert "setting: APP_DATABASE__URL" in output
    assert f"createdb -h 127.0.0.1 -p 5432 -U postgres {name}" in output


def test_postgres_port_closed(tmp_path: Path) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{free_port()}/app"
    output = failed_start({"APP_DATABASE__URL": url}, tmp_path)
    assert "cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1:" in output
    assert "setting: APP_DATABASE__URL" in output
    assert "start PostgreSQL, or correct the host and port" in output
    assert "hunter2" not in output


def test_redis_down(tmp_path: Path) -> None:
    settings = {
        "APP_CACHE__BACKEND": "redis",
        "APP_CACHE__URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    output = failed_start(settings, tmp_path)
    assert "the Redis cache at redis://127.0.0.1:" in output
    assert "setting: APP_CACHE__URL" in output
    assert "start Redis there" in output
    assert "APP_CACHE__BACKEND=memory" in output
    assert "misses" not in output  # no promise to serve from a cache that never started


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    url = f"sqlite:///{blocker}/data/app.db"
    output = failed_start({"APP_DATABASE__URL": url}, tmp_path)
    assert f"cannot create the folder {blocker}/data for the SQLite database" in output
    assert "setting: APP_DATABASE__URL" in output
    assert "fix: " in output


def test_sigterm_ends_a_serving_server_with_status_0(tmp_path: Path) -> None:
    """uvicorn re-raises the SIGTERM it handled; dying of it made `make run` say Terminated."""
    server = ServerProcess({}, tmp_path).start()
    try:
        server.wait_until_ready()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, server.log()
    finally:
        server.stop()


def test_a_database_file_that_cannot_be_created(tmp_path: Path) -> None:
    """The connection that failed to open leaves no worker thread behind to print a traceback
    into the report, however the threads interleave: three starts, three clean reports."""
    for attempt in range(3):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        output = failed_start({"APP_DATABASE__URL": "sqlite:////proc/self/db.sqlite"}, folder)
        assert "cannot open the SQLite database /proc/self/db.sqlite" in output, attempt
        assert "Event loop is closed" not in output


def test_check_of_a_database_file_that_cannot_be_opened(tmp_path: Path) -> None:
    """`check` closes its event loop right after the failure: no aiosqlite worker thread may
    still be about to post to it. Ten runs, since a thread racing the loop loses only some."""
    environment = server_environment() | {"APP_DATABASE__URL": "sqlite:////proc/self/db.sqlite"}
    for attempt in range(10):
        log = tmp_path / f"check-{attempt}.log"
        with log.open("wb") as output_file:  # a file, as a terminal: pipes hide the race
            status = subprocess.run(
                [sys.executable, "-m", "app", "check"],
                cwd=tmp_path,
                env=environment,
                stdout=output_file,
                stderr=subprocess.STDOUT,
                timeout=60,
                check=False,
            ).returncode
        output = log.read_text()
        assert status != 0, output
        assert "cannot open the SQLite database /proc/self/db.sqlite" in output, attempt
        assert "Traceback" not in output, output
