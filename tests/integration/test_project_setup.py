"""The repository's own set-up: what a contributor or a deployment relies on without reading it."""

import subprocess
import sys

import pytest

from tests.servers import PROJECT_ROOT


@pytest.mark.parametrize("name", [".env", ".env.production", ".env.test"])
def test_env_files_with_settings_are_not_committed(name: str) -> None:
    """Production settings (a key, a database password) are written into `.env.production`."""
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", name], cwd=PROJECT_ROOT, check=False
    )
    assert ignored.returncode == 0, f"{name} is not git-ignored"


def test_the_example_env_file_is_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", ".env.example"],
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert ignored.returncode == 1


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
