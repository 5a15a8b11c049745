"""The API key guarding data endpoints, deny-by-default: with a key set, every path under `/api/`
but `OPEN_API_PATHS` needs it, so a new data endpoint is protected without anyone remembering to.
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import error_response
from config import Environment, Settings
from providers.auth import InvalidTokenError

API_KEY_HEADER: Final = "X-API-Key"
PROTECTED_PREFIX: Final = "/api/"
OPEN_API_PATHS: Final = frozenset({"/api/health", "/api/ready", "/api/auth/token"})
SIGNED_IN_PREFIX: Final = "/api/users"
SERVICE_CALL: Final = "wirework.service_call"
"""Set in the request's own scope (servers may share `scope["state"]`) when it had the key."""
SECURITY_SCHEME: Final = "ApiKey"
BEARER_SCHEME: Final = "OAuth2PasswordBearer"  # FastAPI's name for that class's scheme
BEARER_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}

MIN_API_KEY_LENGTH: Final = 32
MIN_API_KEY_DISTINCT: Final = 8


class InsecureConfigurationError(RuntimeError):
    """The settings would expose data to anyone: the application refuses to start."""


def configured_api_key(settings: Settings) -> bytes | None:
    """The key clients must send, or None when the API is open; a blank key counts as none."""
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    return key.encode() if key else None


def api_key_weakness(key: bytes) -> str | None:
    """Why `key` is too weak to guard production data (`changeme`, `aaaa…`), or None."""
    if len(key) < MIN_API_KEY_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_API_KEY_LENGTH}"
    if len(set(key)) < MIN_API_KEY_DISTINCT:
        return f"it uses fewer than {MIN_API_KEY_DISTINCT} different characters"
    return None


def refuse_open_production(settings: Settings) -> None:
    """Raise unless production has a strong API key and a strong token-signing secret."""
    if settings.environment != Environment.PRODUCTION:
        return
    token_secret = settings.auth.token_secret
    secrets = {
        "APP_API_KEY": (configured_api_key(settings), "anyone could read and change the data"),
        "APP_AUTH__TOKEN_SECRET": (
            token_secret.get_secret_value().encode() if token_secret is not None else None,
            "anyone could sign tokens as any user",
        ),
    }
    for variable, (secret, risk) in secrets.items():
        if (weakness := api_key_weakness(secret or b"")) is not None:
            # Why, never what: the secret itself must not reach a log.
            raise InsecureConfigurationError(
                f"refusing to start: APP_ENVIRONMENT is production but {variable} is "
                f"{'too weak (' + weakness + ')' if secret else 'not set'}, so {risk}; set "
                f"{variable} to a random secret of at least {MIN_API_KEY_LENGTH} characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )


def needs_api_key(path: str) -> bool:
    """Whether a request path (or an OpenAPI path template) is behind the key."""
    return path.startswith(PROTECTED_PREFIX) and path not in OPEN_API_PATHS


@dataclass
class ApiKeyMiddleware:
    """401 for a guarded request without the key `state.api_key` (None: open), unless a bearer
    token `state.tokens` signed goes on to the per-user rules under `SIGNED_IN_PREFIX`.
    `compare` takes as long for a near miss as for a wild guess."""

    app: ASGIApp
    state: State
    compare: Callable[[bytes, bytes], bool] = hmac.compare_digest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "http" and needs_api_key(scope["path"])
        if guarded and (expected := self.state.api_key) is not None:
            headers = Headers(scope=scope)
            if self.compare(headers.get(API_KEY_HEADER, "").encode("latin-1"), expected):
                scope[SERVICE_CALL] = True
            elif refusal := self._refusal(scope["path"], headers):
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, path: str, headers: Headers) -> JSONResponse | None:
        """None when a signed-in user's token may go on to the per-user rules, else the 401."""
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        under = path == SIGNED_IN_PREFIX or path.startswith(SIGNED_IN_PREFIX + "/")
        if not under or scheme.lower() != "bearer":
            return error_response(401, "unauthorized", f"missing or wrong {API_KEY_HEADER} header")
        try:
            self.state.tokens.verify(token.strip())
        except InvalidTokenError as error:
            return error_response(401, "unauthorized", str(error), BEARER_CHALLENGE)
        return None


def document_api_key(schema: dict[str, Any], *, enforced: bool) -> None:
    """Declare the key in the OpenAPI `schema` exactly when it is `enforced` (a bearer token as the
    other way in under `SIGNED_IN_PREFIX`); without one, guarded operations have no 401/403."""
    if enforced:
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "Needed on /api/users* and /api/stats when the server sets APP_API_KEY.",
        }
    for path, operations in schema.get("paths", {}).items():
        bearer: list[Any] = [{BEARER_SCHEME: []}] if path.startswith(SIGNED_IN_PREFIX) else []
        for operation in operations.values():
            if not needs_api_key(path) or "security" in operation:
                continue
            if enforced:
                operation["security"] = [{SECURITY_SCHEME: []}, *bearer]
            else:
                operation.get("responses", {}).pop("401", None)
                operation.get("responses", {}).pop("403", None)
