"""`python -m app users create-admin`: the password from stdin (or a prompt), never argv;
the admin it creates signs in and reaches every user."""

import io
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.main import create_app
from app.observability import LOGGED_PACKAGES
from app.testing import isolated_settings, running_client
from containers import Container
from tests.integration.auth_helpers import KEY, PASSWORD, bearer


def create_admin(directory: Path, password: str, *names: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "APP_DATABASE__URL": f"sqlite:///{directory / 'wirework.db'}"}
    command = [sys.executable, "-m", "app", "users", "create-admin", *names]
    return subprocess.run(  # noqa: S603  # our own interpreter and module
        command, input=password + "\n", capture_output=True, text=True, env=environ, check=False
    )


ROOT = ("--email", "root@example.com", "--username", "root")


async def test_the_admin_signs_in_and_reaches_every_user(tmp_path: Path) -> None:
    created = create_admin(tmp_path, PASSWORD, *ROOT)
    assert created.returncode == 0, created.stderr
    assert created.stdout == "admin root created with id 1\n"
    container = Container()
    container.settings.override(isolated_settings(tmp_path, api_key=KEY))
    async with running_client(create_app(container)) as client:
        headers = await bearer(client, "root@example.com")
        listed = await client.get("/api/users", headers=headers)
        assert listed.status_code == 200
        assert listed.json()[0]["is_admin"] is True


AdminCommand = Callable[..., tuple[int, str]]


@pytest.fixture
def create_admin_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[AdminCommand]:
    """`create-admin` run by `main` in this process (the command line's own test above runs
    it as a process): its exit status and what it printed to stderr."""
    monkeypatch.setenv("APP_DATABASE__URL", f"sqlite:///{tmp_path / 'wirework.db'}")
    loggers = [logging.getLogger(name) for name in LOGGED_PACKAGES]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]

    def run(password: str, *names: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        status = main(["users", "create-admin", *names])
        return status, capsys.readouterr().err

    yield run
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers  # main configured logging for the whole process
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.parametrize(
    ("password", "names", "complaint"),
    [
        ("short", ROOT, "password: String should have at least 8 characters"),
        (PASSWORD, ("--email", "root@localhost", "--username", "root"), "email:"),
    ],
)
def test_bad_input_is_refused(
    create_admin_here: AdminCommand, password: str, names: tuple[str, ...], complaint: str
) -> None:
    status, stderr = create_admin_here(password, *names)
    assert status == 2
    assert complaint in stderr


def test_a_taken_email_is_refused(create_admin_here: AdminCommand) -> None:
    assert create_admin_here(PASSWORD, *ROOT)[0] == 0
    status, complaint = create_admin_here(PASSWORD, *ROOT)
    assert status == 1
    assert "already exists" in complaint
