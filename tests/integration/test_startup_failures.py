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


UNOPENABLE_DATABASE: Final = "sqlite:////proc/self/db.sqlite"

REPEATED_RUNS: Final = """
import os, sys
from app.cli import main

command, logs = sys.argv[1:2], sys.argv[2:]
for log in logs:
    sys.stdout.flush()
    sys.stderr.flush()
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(output, 1)  # a file, as a terminal: pipes hide the race
    os.dup2(output, 2)
    os.close(output)
    sys.modules.pop("app.main", None)  # each run builds its own application and container
    try:
        status = main(command)
    except SystemExit as exit:  # uvicorn's way to report a failed start
        status = exit.code
    print(f"exit status {status}")
"""
"""Runs one command once per log file in one interpreter, each run's output in its file.

A worker thread that outlives its run still prints into a later run's file, or the last."""


def repeated_runs(command: list[str], runs: int, directory: Path) -> list[tuple[int, str]]:
    """The exit status and output of each of `runs` runs of `command`, from one interpreter."""
    environment = server_environment() | {"APP_DATABASE__URL": UNOPENABLE_DATABASE}
    logs = [directory / f"run-{number}.log" for number in range(runs)]
    subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", REPEATED_RUNS, *command, *map(str, logs)],
        cwd=directory,
        env=environment,
        timeout=60,
        check=True,
    )
    results = []
    for log in logs:
        *lines, last = log.read_text().splitlines()
        results.append((int(last.removeprefix("exit status ")), "\n".join(lines)))
    return results


def test_a_database_file_that_cannot_be_created(tmp_path: Path) -> None:
    """The connection that failed to open leaves no worker thread behind to print a traceback
    into the report, however the threads interleave: three starts, three clean reports."""
    serve = ["serve", "--port", str(free_port())]
    for attempt, (status, output) in enumerate(repeated_runs(serve, 3, tmp_path)):
        assert status != 0, output
        assert "Traceback" not in output, output
        assert len(output.splitlines()) <= MOST_LINES, output
        assert "cannot open the SQLite database /proc/self/db.sqlite" in output, attempt
        assert "Event loop is closed" not in output


def test_check_of_a_database_file_that_cannot_be_opened(tmp_path: Path) -> None:
    """`check` closes its event loop right after the failure: no aiosqlite worker thread may
    still be about to post to it. Ten runs, since a thread racing the loop loses only some."""
    for attempt, (status, output) in enumerate(repeated_runs(["check"], 10, tmp_path)):
        assert status != 0, output
        assert "cannot open the SQLite database /proc/self/db.sqlite" in output, attempt
        assert "Traceback" not in output, output
