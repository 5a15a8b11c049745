"""`python -m app`: serve the API, check the services, migrate the schema, show the settings.
`serve` refuses `APP_RELOAD_MODE` (`--reload` never sets it): workers would serve no data."""

import argparse
import asyncio
import getpass
import json
import logging
import logging.config
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from app.graph_drawing import mermaid
from app.lifespan_guard import describe_start_failure
from app.observability import logging_config
from app.schemas import UserCreate
from app.security import InsecureConfigurationError, refuse_open_production
from app.service_status import ping_services
from config import Settings
from config.diagnostics import (
    MisspeltSettingError,
    check_sources,
    explain_settings_error,
    refuse_near_misses,
)
from containers import Container
from containers.discovery import services
from providers.urls import redacted_url
from providers.users import DuplicateUserError, hash_password

APP_IMPORT_PATH: Final = "app.main:app"
_RELOAD_DIRS: Final = [
    str(Path(__file__).resolve().parent.parent / package)
    for package in ("app", "config", "containers", "providers")
]
"""What `--reload` watches: the project's code, not `.venv` or `data/`."""


def run_uvicorn(app: str, **options: Any) -> None:
    """`uvicorn.run`, imported only by `serve`: the other commands start no web server."""
    import uvicorn  # noqa: PLC0415

    uvicorn.run(app, **options)


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON data (`api_key` shown as stars), with passwords in URLs masked."""

    def masked(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: masked(item) for key, item in value.items()}
        return redacted_url(value) if isinstance(value, str) and "://" in value else value

    return dict(masked(settings.model_dump(mode="json")))


def serve(args: argparse.Namespace, run_server: Callable[..., None], settings: Settings) -> int:
    """Serve with `settings`, checked before uvicorn starts (with --reload: each worker's)."""
    refuse_open_production(settings)
    if settings.reload_mode:
        print(
            "configuration error: APP_RELOAD_MODE=true makes every service open nothing, so "
            "this server could not serve data; it is only for a reloading supervisor, which "
            "`serve --reload` sets up by itself. Unset APP_RELOAD_MODE.",
            file=sys.stderr,
        )
        return 2
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "timeout_graceful_shutdown": settings.server.shutdown_timeout,
        # The app applies a trusted proxy's headers (app.proxy): uvicorn's own handling would
        # hide the proxy's address, by which the forwarded host is trusted.
        "proxy_headers": False,
        # Wirework's access line (with the request ID) replaces uvicorn's.
        "log_config": logging_config(settings.log),
        "access_log": False,
    }
    if args.reload:
        options |= {"reload": True, "reload_dirs": _RELOAD_DIRS}
    # uvicorn re-raises the SIGTERM it handled once it has shut down; a graceful stop is a
    # success, so the process exits 0 instead of dying of it.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        run_server(APP_IMPORT_PATH, **options)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


async def check_services(container: Container) -> int:
    """Start the services, ping each, print how each did, close them; 1 if any failed."""
    settings: Settings = container.settings()
    print(f"environment {settings.environment}, database {redacted_url(settings.database.url)}")
    try:
        await container.init_resources()
    except Exception as error:
        print(describe_start_failure(error, settings))
        return 1
    try:
        results = await ping_services(container, timeout=5.0)
    finally:
        await container.shutdown_resources()
    for result in results:
        outcome = "ok" if result.ok else f"FAILED {result.error}: {result.detail}"
        print(f"{result.service:<10} {outcome}")
    if failed := [result.service for result in results if not result.ok]:
        print(f"not ready: {', '.join(failed)}")
        return 1
    print("all services ready")
    return 0


async def migrate_schema(container: Container) -> int:
    """Apply pending schema migrations and say which; start-up does the same by default."""
    settings: Settings = container.settings()
    no_auto_migration = settings.database.model_copy(update={"migrate_on_start": False})
    container.settings.override(settings.model_copy(update={"database": no_auto_migration}))
    try:
        applied = await (await container.database()).migrate()
    except Exception as error:
        print(f"migration failed: {describe_start_failure(error, settings)}", file=sys.stderr)
        return 1
    finally:
        await container.shutdown_resources()
    print(f"applied migrations: {', '.join(applied)}" if applied else "schema already up to date")
    return 0


def read_password() -> str | None:
    """Typed twice at a terminal (None if they differ), else stdin's first line: never an
    argument, which other users of the machine can read."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("password: ")
    return password if getpass.getpass("again: ") == password else None


async def create_admin(container: Container, email: str, username: str) -> int:
    """Store a new user with `is_admin` set: it may read and change every user."""
    if (password := read_password()) is None:
        print("the two passwords differ", file=sys.stderr)
        return 2
    try:
        body = UserCreate(username=username, email=email, password=password)
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        print(f"cannot create the admin: {problems}", file=sys.stderr)
        return 2
    fields = {**body.model_dump(exclude={"password"}), "is_admin": True}
    try:
        users = await container.users()
        admin = await users.create({**fields, "password_hash": await hash_password(password)})
    except DuplicateUserError as error:
        print(f"cannot create the admin: {error}", file=sys.stderr)
        return 1
    finally:
        await container.shutdown_resources()
    print(f"admin {admin.username} created with id {admin.id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The `python -m app` command line: one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Serve the Wirework API, check its services, show its settings.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address (%(default)s)")
    serve_parser.add_argument("--port", type=int, default=8000, help="port (%(default)s)")
    serve_parser.add_argument(
        "--reload", action="store_true", help="restart when the code changes (development only)"
    )
    for name, summary in (
        ("check", "start every service, ping it, report; exit 1 on failure"),
        ("settings", "print the effective settings as JSON, secrets masked"),
        ("migrate", "apply pending schema migrations to the database"),
        ("graph", "print the container's services and dependencies as a Mermaid flowchart"),
    ):
        commands.add_parser(name, help=summary)
    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    admin = users.add_parser(
        "create-admin", help="create a user who may read and change every user"
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--username", required=True)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    run_server: Callable[..., None] = run_uvicorn,
    container_factory: Callable[[], Container] = Container,
) -> int:
    """Run one command; the exit status is 0 on success, 1 on a failed check, 2 on bad config."""
    args = build_parser().parse_args(argv)
    container = container_factory()  # builds providers only: nothing opens until started
    settings_class: type[Settings] = container.settings.cls  # the application's sections too
    # python-dotenv's own warning names a line but not the file: ours says both.
    logging.getLogger("dotenv.main").setLevel(logging.ERROR)
    problems = check_sources(settings_class)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.command == "graph":  # starts nothing, needs no settings
        print(mermaid(services(container)), end="")
        return 0
    try:
        settings = settings_class()
        if args.command == "settings":
            print(json.dumps(masked_settings(settings), indent=2))
            return 0
        refuse_near_misses(settings, problems)
        if args.command == "serve":
            return serve(args, run_server, settings)
        logging.config.dictConfig(logging_config(settings.log))
        if args.command == "users":
            work = create_admin(container, args.email, args.username)
        else:
            work = (check_services if args.command == "check" else migrate_schema)(container)
        return asyncio.run(work)
    except ValidationError as error:
        explained = explain_settings_error(error, settings_class)
        print(f"configuration error:\n{explained}", file=sys.stderr)
        return 2
    except (MisspeltSettingError, InsecureConfigurationError) as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
