"""Start-up loads only what the settings use: the exporter, the status page's templates, the
web server and the scale-out drivers wait until something needs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNUSED_BY_DEFAULT = ("prometheus_client", "jinja2", "uvicorn", "asyncpg", "redis")
PROBE = """
import asyncio, contextlib, io, json, sys
from app.cli import main

loaded = {}
for command in ("settings", "check", "graph"):
    with contextlib.redirect_stdout(io.StringIO()):
        main([command])
    loaded[command] = sorted(sys.modules)

from app.main import create_app

app = create_app()

async def start() -> None:
    async with app.router.lifespan_context(app):
        pass

asyncio.run(start())
loaded["started app"] = sorted(sys.modules)
print(json.dumps(loaded))
"""
"""The commands, then an application started with the default settings, in one interpreter.
What is loaded after each step counts every step before it too, so none may load them."""


@pytest.fixture(scope="module")
def loaded_after(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The modules loaded after each step of `PROBE`."""
    database = tmp_path_factory.mktemp("probe") / "app.db"
    environment = {"APP_DATABASE__URL": f"sqlite:///{database}", "PATH": ""}
    output = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {step: set(names) for step, names in json.loads(output.splitlines()[-1]).items()}


def test_an_app_started_with_the_default_settings_loads_none_of_them(
    loaded_after: dict[str, set[str]],
) -> None:
    assert loaded_after["started app"] & set(UNUSED_BY_DEFAULT) == set()


@pytest.mark.parametrize("command", ["settings", "check", "graph"])
def test_commands_that_serve_nothing_load_no_web_server(
    command: str, loaded_after: dict[str, set[str]]
) -> None:
    assert loaded_after[command] & set(UNUSED_BY_DEFAULT) == set()
