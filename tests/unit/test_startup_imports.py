"""Start-up loads only what the settings use: the exporter, the status page's templates, the
web server and the scale-out drivers wait until something needs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNUSED_BY_DEFAULT = ("prometheus_client", "jinja2", "uvicorn", "asyncpg", "redis")


def _loaded_after(code: str, tmp_path: Path) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    environment = {"APP_DATABASE__URL": f"sqlite:///{tmp_path / 'app.db'}", "PATH": ""}
    output = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(json.loads(output.splitlines()[-1]))


def test_an_app_started_with_the_default_settings_loads_none_of_them(tmp_path: Path) -> None:
    started = """
import asyncio
from app.main import create_app

app = create_app()

async def start() -> None:
    async with app.router.lifespan_context(app):
        pass

asyncio.run(start())
"""
    assert _loaded_after(started, tmp_path) & set(UNUSED_BY_DEFAULT) == set()


@pytest.mark.parametrize("command", ["settings", "check", "graph"])
def test_commands_that_serve_nothing_load_no_web_server(command: str, tmp_path: Path) -> None:
    run = f"""
import contextlib, io
from app.cli import main

with contextlib.redirect_stdout(io.StringIO()):
    main([{command!r}])
"""
    assert _loaded_after(run, tmp_path) & set(UNUSED_BY_DEFAULT) == set()
