"""Requests refused outside the lifespan, and a failed start-up told in a few lines. Without the
lifespan nothing is started, so answers would mislead (readiness saying "ready")."""

import logging
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from config import Settings
from providers.errors import ServiceStartError
from providers.urls import redacted_url

logger = logging.getLogger(__name__)

LIFESPAN_NOT_RUNNING: Final = "lifespan_not_running"
LIFESPAN_NOT_RUNNING_DETAIL: Final = (
    "the application's lifespan is not running, so its services are not started: serve it "
    "with an ASGI server that runs the lifespan (uvicorn does unless given --lifespan off); "
    "in tests use the `client` fixture of Wirework's pytest plugin, or wrap the app in "
    "`asgi_lifespan.LifespanManager(app)` or `with TestClient(app):`"
)


@dataclass
class LifespanGuardMiddleware:
    """Answer 503 to HTTP requests outside a started lifespan; hand uvicorn a failed start-up
    as `describe_start_failure`'s lines instead of Starlette's traceback."""

    app: ASGIApp
    state: State
    running: bool = field(default=False, init=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def watched(message: Message) -> None:
                kind = message["type"]
                if kind == "lifespan.startup.complete":
                    self.running = True
                elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                    self.running = False
                # Starlette sends this while handling the exception, so sys.exc_info() holds it.
                elif kind == "lifespan.startup.failed" and (error := sys.exc_info()[1]) is not None:
                    settings = self.state.container.settings()
                    message = {**message, "message": describe_start_failure(error, settings)}
                await send(message)

            await self.app(scope, receive, watched)
        elif scope["type"] == "http" and not self.running:
            logger.warning(
                "refused %s %s: %s", scope["method"], scope["path"], LIFESPAN_NOT_RUNNING
            )
            response = error_response(503, LIFESPAN_NOT_RUNNING, LIFESPAN_NOT_RUNNING_DETAIL)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)


_SETTING_ALTERNATIVES: Final = {
    "APP_CACHE__URL": "or set APP_CACHE__BACKEND=memory to run one instance without Redis",
}
"""Another way out, for the settings that have one, beside the error's own hint."""


def _url_settings(values: Mapping[str, Any], prefix: str = "APP_") -> Iterator[tuple[str, ...]]:
    """Every setting holding a URL, as (environment variable name, the URL redacted, its file
    path for SQLite else ""): a message naming either names the setting."""
    for name, value in values.items():
        variable = f"{prefix}{name.upper()}"
        if isinstance(value, Mapping):
            yield from _url_settings(value, f"{variable}__")
        elif isinstance(value, str) and "://" in value:
            path = value.removeprefix("sqlite:///") if value.startswith("sqlite:///") else ""
            yield variable, redacted_url(value), path


def describe_start_failure(error: BaseException, settings: Settings) -> str:
    """A few lines per failure (each of a group's): the message, the setting to change, the
    likely fix."""
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(describe_start_failure(inner, settings) for inner in error.exceptions)
    fixes = [error.hint] if isinstance(error, ServiceStartError) else []
    kind = "" if fixes else f"{type(error).__name__}: "
    lines = [f"start-up failed: {kind}{error}"]
    shown = str(error)
    urls = _url_settings(settings.model_dump(mode="json"))
    if named := [name for name, url, path in urls if url in shown or (path and path in shown)]:
        lines.append(f"  setting: {', '.join(named)}")
    fixes += [_SETTING_ALTERNATIVES[name] for name in named if name in _SETTING_ALTERNATIVES]
    if fixes:
        lines.append(f"  fix: {', '.join(fixes)}")
    return "\n".join(lines)
