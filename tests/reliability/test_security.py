"""Security: the API key compare, strict input, responses that leak nothing, masked
settings, and a production that refuses a missing or weak key."""

import hmac
import inspect
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.datastructures import State
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from app.main import create_app
from app.security import (
    MIN_API_KEY_LENGTH,
    ApiKeyMiddleware,
    InsecureConfigurationError,
    api_key_weakness,
    refuse_open_production,
)
from app.testing import isolated_settings, running_client
from config import Settings
from containers import Container, override_services
from providers.cache import CacheService
from providers.database import DatabaseService
from providers.users import UserRepository
from tests.helpers import fake
from tests.servers import PROJECT_ROOT

KEY = "test-key-" + "0123456789abcdef" * 2
AUTH = {"X-API-Key": KEY}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}
LIMIT = 4096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A key, a small body limit, and the SQLite file under a telling path that must not leak."""
    database = tmp_path / "secret-location" / "users.db"
    return isolated_settings(
        tmp_path,
        api_key=KEY,
        database={"url": f"sqlite:///{database}"},
        server={"max_body_size": LIMIT},
    )


# --- the API key ------------------------------------------------------------------------


async def test_every_key_sent_goes_through_the_comparator() -> None:
    compared: list[tuple[bytes, bytes]] = []

    def spy(sent: bytes, expected: bytes) -> bool:
        compared.append((sent, expected))
        return hmac.compare_digest(sent, expected)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("served")(scope, receive, send)

    state = State()
    state.api_key = KEY.encode()
    guarded = ApiKeyMiddleware(endpoint, state=state, compare=spy)
    near_miss = KEY[:-1] + "x"  # same length, differs in the last character only
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for sent, status in [(near_miss, 401), ("x", 401), (KEY, 200)]:
            response = await client.get("/api/users", headers={"X-API-Key": sent})
            assert response.status_code == status
    # Every key sent, however close or far, went through the compare.
    expected = KEY.encode()
    assert compared == [(near_miss.encode(), expected), (b"x", expected), (expected, expected)]


def test_keys_are_compared_in_constant_time_unless_told_otherwise() -> None:
    compare = inspect.signature(ApiKeyMiddleware).parameters["compare"]
    assert compare.default is hmac.compare_digest


# --- strict input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/users", {"username": "eve", "email": "e@x.org", "is_admin": True}),
        ("POST", "/api/users", {"username": "eve", "email": "e@x.org", "password_hash": "x"}),
        ("PATCH", "/api/users/1", {"role": "admin"}),
        ("PATCH", "/api/users/1", {"id": 2}),
    ],
)
async def test_unknown_fields_are_rejected_not_ignored(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]
) -> None:
    created = await client.post(
        "/api/users", json={"username": "ada", "email": "a@x.org"}, headers=AUTH
    )
    assert created.status_code == 201

    response = await client.request(method, path, json=body, headers=AUTH)

    assert response.status_code == 422
    [unknown] = set(body) - {"username", "email"}
    assert {"loc": ["body", unknown], "msg": "Extra inputs are not permitted"}.items() <= (
        response.json()["detail"][0].items()
    )
    stored = (await client.get("/api/users", headers=AUTH)).json()
    assert [(user["id"], user["username"]) for user in stored] == [(1, "ada")]


@pytest.mark.parametrize("flag", [0, 1, "true", "yes", None])
async def test_booleans_are_strict(client: httpx.AsyncClient, flag: object) -> None:
    body = {"username": "bob", "email": "b@x.org", "is_active": flag}
    response = await client.post("/api/users", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "is_active"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/api/users",
            {"username": "bob", "email": "b@x.org", "password": None},
            "password",
        ),
        ("PATCH", "/api/users/1", {"email": None}, "email"),
    ],
)
async def test_null_is_refused_where_the_document_offers_none(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = await client.request(method, path, json=body, headers=AUTH)
    assert response.status_code == 422
    assert (
        response.json()["detail"][0]["msg"] == f"Value error, {field} may be omitted but not null"
    )


# --- nothing leaks ------------------------------------------------------------------------


def _leaks(text: str, *secrets: str) -> list[str]:
    """What a response body must never carry: a traceback, SQL, a path, a setting."""
    markers = [
        "Traceback",
        'File "',
        "sqlite3",
        "asyncpg",
        "SELECT ",
        "INSERT INTO",
        " FROM users",
        "site-packages",
        str(PROJECT_ROOT),
        *secrets,
    ]
    return [marker for marker in markers if marker and marker in text]


class _LeakyError(Exception):
    """Stands for a driver error whose message carries SQL, a file path and a URL."""


LEAKY_MESSAGE = (
    "no such table: users [SQL: SELECT id, username FROM users WHERE id = 1] "
    "at /srv/app/secret-location/users.db via postgresql://app:hunter2@db.internal/app"
)


@pytest.fixture
def leaky_container(container: Container) -> Iterator[Container]:
    """Every service fails with a message full of things a client must not see."""
    users = fake(UserRepository)
    for method in ("create", "page", "get", "update", "delete"):
        getattr(users, method).side_effect = _LeakyError(LEAKY_MESSAGE)
    database = fake(DatabaseService)
    database.ping.side_effect = sqlite3.OperationalError(LEAKY_MESSAGE)
    database.get_stats.side_effect = _LeakyError(LEAKY_MESSAGE)
    cache = fake(CacheService)
    cache.ping.side_effect = ConnectionError(LEAKY_MESSAGE)
    cache.get_or_set.side_effect = _LeakyError(LEAKY_MESSAGE)
    cache.get_stats.return_value = {"status": "initialized"}
    with override_services(container, users=users, database=database, cache=cache):
        yield container


async def test_no_response_leaks_a_traceback_sql_a_path_or_a_setting(
    leaky_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/users", {"headers": AUTH}),
        ("POST", "/api/users", {"headers": AUTH, "json": {"username": "ada", "email": "a@x.org"}}),
        ("GET", "/api/users/1", {"headers": AUTH}),
        ("PATCH", "/api/users/1", {"headers": AUTH, "json": {"email": "b@x.org"}}),
        ("DELETE", "/api/users/1", {"headers": AUTH}),
        ("GET", "/api/stats", {"headers": AUTH}),
        ("GET", "/api/ready", {}),
        ("GET", "/api/users", {"headers": {"X-API-Key": "wrong"}}),
        ("POST", "/api/users", {"headers": JSON_AUTH, "content": b'{"username": '}),
        ("POST", "/api/users", {"headers": AUTH, "json": {"username": "x", "password": "p"}}),
        ("PUT", "/api/users", {"headers": AUTH}),
        ("GET", "/nowhere/../../etc/passwd", {}),
        ("GET", "/metrics", {}),
    ]
    seen = set()
    async with running_client(create_app(leaky_container)) as client:
        for method, path, options in requests:
            response = await client.request(method, path, **options)
            seen.add(response.status_code)
            leaked = _leaks(response.text, KEY, "hunter2", "secret-location", "db.internal")
            assert not leaked, f"{method} {path} ({response.status_code}) leaks {leaked}"
    assert {200, 400, 401, 404, 405, 422, 500, 503} <= seen
    # The log keeps what the responses leave out, for the operator.
    assert LEAKY_MESSAGE in caplog.text


# --- settings and production ---------------------------------------------------------------


def test_settings_command_masks_every_secret(tmp_path: Path) -> None:
    secrets = {
        "APP_API_KEY": KEY,
        "APP_DATABASE__URL": "postgresql://app:db-pa55word@db.internal:5432/app?sslpassword=tls-s3cret",
        "APP_CACHE__BACKEND": "redis",
        "APP_CACHE__URL": "redis://:cache-pa55word@cache.internal:6379/0",
        "APP_BACKGROUND__LOCK_URL": "redis://cache.internal:6379/1?password=lock-pa55word",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "app", "settings"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), **secrets},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    shown = json.loads(completed.stdout)
    for secret in (KEY, "db-pa55word", "tls-s3cret", "cache-pa55word", "lock-pa55word"):
        assert secret not in completed.stdout
    assert shown["api_key"] == "**********"
    assert shown["database"]["url"] == ("postgresql://app:***@db.internal:5432/app?sslpassword=***")
    assert shown["cache"]["url"] == "redis://:***@cache.internal:6379/0"
    assert shown["background"]["lock_url"] == "redis://cache.internal:6379/1?password=***"


TOKEN_SECRET = "t" + "fedcba9876543210" * 2


def _production(key: str | None, token_secret: str | None = TOKEN_SECRET) -> Settings:
    auth = {"token_secret": token_secret}
    return isolated_settings(None, environment="production", api_key=key, auth=auth)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "is not set"),
        ("changeme", "is too weak (it has 8 characters, fewer than 32)"),
        ("x" * 31, "is too weak (it has 31 characters, fewer than 32)"),
        ("ab" * 40, "is too weak (it uses fewer than 8 different characters)"),
        ("0123456" * 10, "is too weak (it uses fewer than 8 different characters)"),
    ],
)
def test_production_refuses_a_missing_or_weak_key(key: str | None, reason: str) -> None:
    with pytest.raises(InsecureConfigurationError) as refused:
        refuse_open_production(_production(key))
    message = str(refused.value)
    assert f"APP_API_KEY {reason}" in message
    assert "secrets.token_urlsafe(32)" in message
    if key is not None:
        assert key not in message


@pytest.mark.parametrize(
    ("secret", "reason"),
    [(None, "is not set"), ("changeme", "is too weak (it has 8 characters, fewer than 32)")],
)
def test_production_refuses_a_missing_or_weak_token_secret(secret: str | None, reason: str) -> None:
    """Anyone knowing the secret could sign a token as any user: the same rule as the key."""
    with pytest.raises(InsecureConfigurationError) as refused:
        refuse_open_production(_production("k" + "0123456789abcdef" * 2, secret))
    message = str(refused.value)
    assert f"APP_AUTH__TOKEN_SECRET {reason}" in message
    if secret is not None:
        assert secret not in message


@pytest.mark.parametrize(
    "key", ["k" + "0123456789abcdef" * 2, "Tr0ub4dor&3-correct-horse-battery-staple"]
)
def test_production_accepts_a_strong_key(key: str) -> None:
    assert api_key_weakness(key.encode()) is None
    refuse_open_production(_production(key))


def test_a_generated_key_is_strong() -> None:
    import secrets  # noqa: PLC0415  # the very call the refusal message recommends

    for _ in range(100):
        key = secrets.token_urlsafe(32)
        assert len(key) >= MIN_API_KEY_LENGTH
        assert api_key_weakness(key.encode()) is None


@pytest.mark.parametrize("key", ["", "short-key"])
def test_serve_refuses_production_with_a_missing_or_weak_key(key: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", "1"],  # never bound: it stops first
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PROJECT_ROOT),
            "APP_ENVIRONMENT": "production",
            "APP_API_KEY": key,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("configuration error: refusing to start")
    assert "APP_API_KEY" in completed.stderr
    if key:
        assert key not in completed.stderr
