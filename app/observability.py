"""What each request leaves, in one pass: its ID, its metrics, its access line (uvicorn's knows
neither the request ID nor the route template), and a 500 for an exception no handler took."""

import logging
import re
import time
import uuid
from typing import Any, Final

from starlette.datastructures import MutableHeaders, State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import INTERNAL_ERROR_DETAIL, error_response
from app.metrics import HttpMetrics
from config import LogSettings
from providers.context import request_id

REQUEST_ID_HEADER: Final = "X-Request-ID"
_HEADER_KEY: Final = REQUEST_ID_HEADER.lower().encode()
_SANE_REQUEST_ID: Final = "[A-Za-z0-9._:-]{1,128}"
"""What a client's ID may be, so that it cannot forge log lines or flood them."""
_IS_SANE: Final = re.compile(_SANE_REQUEST_ID.encode()).fullmatch
_REQUEST_ID_DOC: Final = {
    "description": "The request's ID: the client's when sane, else a new one; in its log lines.",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{_SANE_REQUEST_ID}$"},
}

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("app.access")

LOGGED_PACKAGES: Final = ("app", "config", "containers", "providers", "uvicorn")

UNMATCHED_ROUTE: Final = "unmatched"
"""Route label of requests no route matched: one label, however many paths are probed."""

_KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD: Final = "OTHER"
"""Method label of any other method, so made-up methods cannot grow the label set."""


class RequestIdFilter(logging.Filter):
    """Puts the current request's ID on every record (JSON: `null` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (current := request_id.get()) is not None:
            record.request_id = current
        return True


class ObservabilityMiddleware:
    """The client's `X-Request-ID` when sane (else a new one) in `request_id` and on every
    response; the metrics and, with `state.access_log`, the line. An exception no handler took
    is logged and answered with a JSON 500, not re-raised, so every client sees an answer."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, state: State) -> None:
        self.app = app
        self.metrics = metrics
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((value for name, value in scope["headers"] if name == _HEADER_KEY), b"")
        current = sent.decode() if _IS_SANE(sent) else uuid.uuid4().hex
        token = request_id.set(current)
        started = time.perf_counter()
        status: int | None = None  # until the response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, current)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status is not None:
                raise  # half a response is out: only the server can end it (by closing)
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            response = error_response(500, "internal_error", INTERNAL_ERROR_DETAIL)
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            status = status or 500
            # The router put the matched route in the scope: its template keeps labels bounded.
            route = getattr(scope.get("route"), "path", None)
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else OTHER_METHOD
            self.metrics.observe(method, route or UNMATCHED_ROUTE, status, seconds)
            if getattr(self.state, "access_log", False):
                _log_access(scope, route, status, seconds)
            request_id.reset(token)


def _log_access(scope: Scope, route: str | None, status: int, seconds: float) -> None:
    if access_logger.isEnabledFor(logging.INFO):
        ms = round(seconds * 1000, 3)
        method, path = scope["method"], scope["path"]
        data = {"method": method, "path": path, "route": route, "status": status, "duration_ms": ms}
        access_logger.info("%s %s %d %.1fms", method, path, status, ms, extra=data)


def document_request_id(schema: dict[str, Any]) -> None:
    """Declare `X-Request-ID` on every response of every operation of the OpenAPI `schema`."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {})[REQUEST_ID_HEADER] = _REQUEST_ID_DOC


def logging_config(settings: LogSettings) -> dict[str, Any]:
    """A `logging.config.dictConfig` for Wirework's and uvicorn's loggers, as text or JSON."""
    formatter: dict[str, Any] = {
        "()": "logging.Formatter",
        "fmt": "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s",
        "defaults": {"request_id": "-"},
    }
    if settings.format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC, what log systems parse
        }
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {"default": handler},
        "loggers": {
            package: {"handlers": ["default"], "level": settings.level, "propagate": False}
            for package in LOGGED_PACKAGES
        },
    }
