"""Requests refused outside the lifespan, and a failed start-up told in a few lines. Without the
lifespan nothing is started, so answers would mislead (readiness saying "ready")."""

import logging
import sys
from dataclasses import dataclass, field
from typing import Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.startup_report import describe_start_failure

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
            await self.app(scope, receive, self._watch(send))
        elif scope["type"] == "http" and not self.running:
            logger.warning(
                "refused %s %s: %s", scope["method"], scope["path"], LIFESPAN_NOT_RUNNING
            )
            response = error_response(503, LIFESPAN_NOT_RUNNING, LIFESPAN_NOT_RUNNING_DETAIL)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _watch(self, send: Send) -> Send:
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

        return watched
