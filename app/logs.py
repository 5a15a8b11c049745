"""Logs for people and for log systems, tied together by each request's ID.

`RequestIdMiddleware` takes the client's `X-Request-ID` when it is sane (else makes one),
returns it on every response, errors included, and keeps it in the `request_id` context
variable for the request's own code and every log record written meanwhile. It also writes
the access line (`log.access`), which replaces uvicorn's own: that one knows neither the
request ID nor the route template. `logging_config(settings.log)` configures Wirework's
loggers and uvicorn's alike, as text or as one JSON object per line.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any, Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import LogSettings

REQUEST_ID_HEADER: Final = "X-Request-ID"
_HEADER_KEY: Final = REQUEST_ID_HEADER.lower().encode()
_SANE_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
"""What a client's ID may be, so that it cannot forge log lines or flood them."""

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The ID of the request this code runs for; None outside a request."""

access_logger = logging.getLogger("app.access")

LOGGED_PACKAGES: Final = ("app", "config", "containers", "providers", "uvicorn")


class RequestIdFilter(logging.Filter):
    """Puts the current request's ID on every record (JSON: `null` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return True


def _sent_by_client(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER_KEY:
            return value.decode() if _SANE_REQUEST_ID.fullmatch(value) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI middleware: the request ID in and out, and the access line."""

    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: every HTTP response carries `X-Request-ID`."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = _sent_by_client(scope) or uuid.uuid4().hex
        token = request_id.set(current)
        started = time.perf_counter()
        status = 500  # what the client gets if nothing answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, current)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and access_logger.isEnabledFor(logging.INFO):
                self._log_access(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    @staticmethod
    def _log_access(scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        duration_ms = round(seconds * 1000, 3)
        fields = {"method": scope["method"], "route": route, "status": status}
        access_logger.info(
            "%s %s %d %.1fms",
            scope["method"],
            scope["path"],
            status,
            duration_ms,
            extra={**fields, "path": scope["path"], "duration_ms": duration_ms},
        )


def logging_config(settings: LogSettings) -> dict[str, Any]:
    """A `logging.config.dictConfig` for Wirework's and uvicorn's loggers."""
    formatter: dict[str, Any]
    if settings.format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
    else:
        formatter = {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": "-"},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            package: {"handlers": ["default"], "level": settings.level, "propagate": False}
            for package in LOGGED_PACKAGES
        },
    }
