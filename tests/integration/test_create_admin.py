"""`python -m app users create-admin`: the password from stdin (or a prompt), never argv;
the admin it creates signs in and reaches every user."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import create_app
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


@pytest.mark.parametrize(
    ("password", "names", "complaint"),
    [
        ("short", ROOT, "password: String should have at least 8 characters"),
        (PASSWORD, ("--email", "root@localhost", "--username", "root"), "email:"),
    ],
)
def test_bad_input_is_refused(
    tmp_path: Path, password: str, names: tuple[str, ...], complaint: str
) -> None:
    refused = create_admin(tmp_path, password, *names)
    assert refused.returncode == 2
    assert complaint in refused.stderr


def test_a_taken_email_is_refused(tmp_path: Path) -> None:
    assert create_admin(tmp_path, PASSWORD, *ROOT).returncode == 0
    again = create_admin(tmp_path, PASSWORD, *ROOT)
    assert again.returncode == 1
    assert "already exists" in again.stderr
