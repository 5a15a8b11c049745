"""The repository's own set-up: what a contributor or a deployment relies on without reading it."""

import shutil
import subprocess
import sys

import pytest

from tests.servers import PROJECT_ROOT


def _git_ignores(name: str) -> bool:
    git = shutil.which("git") or "git"
    command = [git, "check-ignore", "--quiet", "--no-index", name]
    return subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode == 0  # noqa: S603


@pytest.mark.parametrize("name", [".env", ".env.production", ".env.test"])
def test_env_files_with_settings_are_not_committed(name: str) -> None:
    """Production settings (a key, a database password) are written into `.env.production`."""
    assert _git_ignores(name)


def test_the_example_env_file_is_committed() -> None:
    assert not _git_ignores(".env.example")


def test_the_suite_runs_without_xdist() -> None:
    """`pytest -p no:xdist` (a debugger session, a plain run) must not trip on xdist options."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "--collect-only",
            "-q",
            "tests/unit/test_errors.py",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
