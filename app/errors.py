"""One error body for every failure, `{"error": code, "detail": ...}`, never a traceback: the
handlers shape what FastAPI raises, `ObservabilityMiddleware` answers anything else with a 500."""

import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.schemas import ErrorResponse
from providers.database.pools.base import (
    ConstraintViolationError,
    DatabaseStorageError,
    ForeignKeyViolationError,
    PoolTimeoutError,
    UniqueViolationError,
)
from providers.errors import (
    DatabaseConnectionLostError,
    DatabaseUnavailableError,
    ServiceNotReadyError,
)

logger = logging.getLogger(__name__)

INTERNAL_ERROR_DETAIL: Final = "the server failed to handle this request; see its log"
RETRY_AFTER_SECONDS: Final = "1"

_RETRYABLE: Final[dict[type[Exception], str]] = {
    DatabaseStorageError: "the database cannot store changes right now (its storage is "
    "read-only, full or failing); nothing was changed, retry later",
    PoolTimeoutError: "no database connection became free in time (the database is busy or "
    "not answering); retry later",
    DatabaseConnectionLostError: "the connection to the database was lost during this "
    "request; retry it",
    DatabaseUnavailableError: "the database server cannot be reached or did not answer in "
    "time; retry later",
    ServiceNotReadyError: "the server is starting or stopping its services; retry later",
}
"""Failures a client can retry: a 503 with a fixed sentence, never the message (a built-in
`ConnectionError` may come from any library, so it stays a 500)."""

_DESCRIPTIONS: Final = {
    400: "The request body is not valid JSON.",
    401: "`X-API-Key` is missing or wrong (only when `APP_API_KEY` is set).",
    403: "A signed-in user asked about another user, or for every user (only an admin may).",
    404: "No user has this id.",
    409: "Another user already has this username or email; `detail` names which.",
    413: "The body is larger than `APP_SERVER__MAX_BODY_SIZE` bytes; it was not read.",
    422: "The input is invalid; `detail` lists each problem with its location.",
    429: "Too many failed sign-ins for this e-mail or from this client; retry after "
    "`Retry-After` seconds.",
    500: "A service failed; the cause is in the server log, not in the response.",
    503: "The database is unreachable, busy or read-only, or the services are starting or "
    "stopping; retry after `Retry-After`.",
}

_RETRY_AFTER: Final = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}


@dataclass
class LogThrottle:
    """At most one log line per cause per `interval` seconds, so an outage cannot flood the log;
    counts the lines held back."""

    interval: float
    clock: Callable[[], float] = time.monotonic
    _last: dict[Hashable, float] = field(default_factory=dict, init=False)
    _held: Counter[Hashable] = field(default_factory=Counter, init=False)

    def admit(self, key: Hashable) -> int | None:
        """None when this line must be held back; else how many were held back before it."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] += 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)


_warnings = LogThrottle(interval=10.0)


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses an endpoint can return."""
    return {
        code: {
            "model": ErrorResponse,
            "description": _DESCRIPTIONS[code],
            **({"headers": {"Retry-After": _RETRY_AFTER}} if code in (429, 503) else {}),
        }
        for code in status_codes
    }


def error_code(status_code: int) -> str:
    """A stable snake_case code for a status: 404 gives `not_found`."""
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        return "error"
    return phrase.lower().replace(" ", "_").replace("-", "_")


def error_response(
    status_code: int, error: str, detail: Any, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code, headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = exc.errors()
    if any(problem["type"] == "json_invalid" for problem in problems):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    # Only where and what: pydantic's `input` would echo the submitted value (a password too).
    detail = [
        {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
        for problem in problems
    ]
    return error_response(422, "validation_error", detail)


async def _service_unavailable(request: Request, exc: Exception) -> JSONResponse:
    detail = next(detail for kind, detail in _RETRYABLE.items() if isinstance(exc, kind))
    code = (
        "service_unavailable" if isinstance(exc, ServiceNotReadyError) else "database_unavailable"
    )
    # The message may name a file, a host or SQL: the log gets it, the client does not.
    if (held := _warnings.admit((type(exc), type(exc.__cause__)))) is not None:
        more = f" (and {held} more like it since the last such line)" if held else ""
        asked = f"{request.method} {request.url.path}"
        logger.warning("%s answered 503: %s: %s%s", asked, type(exc).__name__, exc, more)
    return error_response(503, code, detail, headers={"Retry-After": RETRY_AFTER_SECONDS})


async def _constraint_violation(request: Request, exc: ConstraintViolationError) -> JSONResponse:
    """409 when the write conflicts with other rows, 422 when a value itself is refused."""
    conflict = isinstance(exc, UniqueViolationError | ForeignKeyViolationError)
    return error_response(409 if conflict else 422, exc.code, str(exc))


def install_error_handlers(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Give HTTP and validation errors the API's error body, retryable failures a 503. A 405's
    `Allow` names every method some route of `app` or `routers` (those it includes) serves at the
    path: Starlette names only those of the first route whose path matched."""
    routes = [*app.routes, *(route for router in routers for route in router.routes)]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:
            matched = [route for route in routes if route.matches(request.scope)[0] != Match.NONE]
            methods = {m for route in matched for m in getattr(route, "methods", None) or ()}
            headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
        return error_response(exc.status_code, error_code(exc.status_code), exc.detail, headers)

    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(ConstraintViolationError)(_constraint_violation)
    for kind in _RETRYABLE:
        app.exception_handler(kind)(_service_unavailable)
