"""The API key that guards data endpoints.

The key is checked by a pure ASGI middleware, deny-by-default: with a key configured,
every path under `/api/` needs it except the probes in `OPEN_API_PATHS`, so a new data
endpoint is protected without anyone remembering to add a dependency.
"""

import hmac
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI
from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import error_response
from config import Environment, Settings

API_KEY_HEADER: Final = "X-API-Key"
PROTECTED_PREFIX: Final = "/api/"
OPEN_API_PATHS: Final = frozenset({"/api/health", "/api/ready"})
"""Paths under `/api/` that never need the key: load balancers and orchestrators call them."""

SECURITY_SCHEME: Final = "ApiKey"
_UNAUTHORIZED_DETAIL: Final = f"missing or wrong {API_KEY_HEADER} header"

MIN_API_KEY_LENGTH: Final = 32
MIN_API_KEY_DISTINCT: Final = 8
"""What production asks of `APP_API_KEY` (see `api_key_weakness`)."""
_STRONG_KEY_HINT: Final = (
    f"set APP_API_KEY to a random secret of at least {MIN_API_KEY_LENGTH} characters "
    "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
)


class InsecureConfigurationError(RuntimeError):
    """The settings would expose data to anyone: the application refuses to start."""


def configured_api_key(settings: Settings) -> bytes | None:
    """The key clients must send, or None when the API is open; a blank key counts as none."""
    if settings.api_key is None or not settings.api_key.get_secret_value():
        return None
    return settings.api_key.get_secret_value().encode()


def api_key_weakness(key: bytes) -> str | None:
    """Why `key` is too weak to guard production data (too short, or too few different
    characters: `changeme`, `aaaa…`), or None when it is strong enough."""
    if len(key) < MIN_API_KEY_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_API_KEY_LENGTH}"
    if len(set(key)) < MIN_API_KEY_DISTINCT:
        return f"it uses fewer than {MIN_API_KEY_DISTINCT} different characters"
    return None


def refuse_open_production(settings: Settings) -> None:
    """Raise unless a production deployment has a strong API key guarding its data."""
    if settings.environment != Environment.PRODUCTION:
        return
    key = configured_api_key(settings)
    if key is None:
        raise InsecureConfigurationError(
            "refusing to start: APP_ENVIRONMENT is production but APP_API_KEY is not set, "
            f"so /api/users and /api/stats would be open to anyone; {_STRONG_KEY_HINT}"
        )
    weakness = api_key_weakness(key)
    if weakness is not None:
        # The message says why, never what: the key itself must not reach a log.
        raise InsecureConfigurationError(
            f"refusing to start: APP_ENVIRONMENT is production but APP_API_KEY is too weak "
            f"({weakness}), so it could be guessed; {_STRONG_KEY_HINT}"
        )


def needs_api_key(path: str) -> bool:
    """Whether a request path (or an OpenAPI path template) is behind the key."""
    return path.startswith(PROTECTED_PREFIX) and path not in OPEN_API_PATHS


class ApiKeyMiddleware:
    """Answer 401 to a protected request without the right `X-API-Key` (`state.api_key`, set
    by the lifespan; None lets everything pass). `compare` must take as long for a near miss
    as for a wild guess, as `hmac.compare_digest` does."""

    def __init__(
        self,
        app: ASGIApp,
        state: State,
        compare: Callable[[bytes, bytes], bool] = hmac.compare_digest,
    ) -> None:
        self.app = app
        self.state = state
        self.compare = compare

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: a guarded path without the right key gets a 401."""
        if scope["type"] == "http" and needs_api_key(scope["path"]):
            expected: bytes | None = self.state.api_key
            sent = Headers(scope=scope).get(API_KEY_HEADER, "").encode("latin-1")
            if expected is not None and not self.compare(sent, expected):
                response = error_response(401, "unauthorized", _UNAUTHORIZED_DETAIL)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def document_api_key(app: FastAPI) -> None:
    """Declare the key in the OpenAPI schema exactly when the server enforces one: the scheme
    and `security` on the guarded operations, or else no 401 either. Built once, from the
    container's settings, when first asked for."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_schema()
            enforced = configured_api_key(app.state.container.settings()) is not None
            if enforced:
                schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
                schemes[SECURITY_SCHEME] = {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "Needed on /api/users* and /api/stats when the server sets "
                    "APP_API_KEY.",
                }
            for path, operations in schema.get("paths", {}).items():
                if needs_api_key(path):
                    for operation in operations.values():
                        if enforced:
                            operation["security"] = [{SECURITY_SCHEME: []}]
                        else:
                            operation.get("responses", {}).pop("401", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point
