"""The request body size limit: a body over it is a 413, refused before it is read whole."""

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.testing import isolated_settings
from config import Settings
from tests.reliability.conftest import StartServer

KEY = "test-key-" + "0123456789abcdef" * 2
AUTH = {"X-API-Key": KEY}
LIMIT = 4096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A key and a small body limit."""
    return isolated_settings(tmp_path, api_key=KEY, server={"max_body_size": LIMIT})


def _padded_user(size: int) -> bytes:
    """A user body of exactly `size` bytes (padded with spaces, which JSON ignores)."""
    body = json.dumps({"username": "padded", "email": "p@x.org"}).encode()
    return body + b" " * (size - len(body))


async def test_a_declared_body_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    read = []

    async def body() -> AsyncIterator[bytes]:
        read.append(1)
        yield _padded_user(LIMIT + 1)

    response = await client.post(
        "/api/users",
        content=body(),
        headers={**AUTH, "Content-Type": "application/json", "Content-Length": str(LIMIT + 1)},
    )

    assert response.status_code == 413
    assert response.json() == {
        "error": "content_too_large",
        "detail": f"the request body is larger than the limit of {LIMIT} bytes",
    }
    assert read == [], "the body was read although its declared length was over the limit"
    assert (await client.get("/api/users", headers=AUTH)).headers["x-total-count"] == "0"


async def test_a_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    chunk = 1024
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(10_000):  # 10 MiB if it were all read
            sent.append(chunk)
            yield b" " * chunk

    response = await client.post(
        "/api/users", content=endless(), headers={**AUTH, "Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"] == "content_too_large"
    assert sum(sent) <= LIMIT + chunk, f"read {sum(sent)} bytes of a body over {LIMIT}"


async def test_a_body_at_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users",
        content=_padded_user(LIMIT),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 201


def test_the_default_limit_is_one_mebibyte() -> None:
    assert Settings(_env_file=None).server.max_body_size == 1_048_576


@pytest.mark.slow
def test_the_real_server_refuses_a_large_body_before_it_is_sent(
    start_server: StartServer,
) -> None:
    server = start_server({"APP_DATABASE__URL": "sqlite:///:memory:"})
    head = (
        "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {2 * 1_048_576}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head)  # and not one byte of the 2 MiB body
        answer = connection.makefile("rb")
        status_line = answer.readline().rstrip(b"\r\n")
        headers = dict(
            line.rstrip(b"\r\n").lower().split(b": ", 1) for line in iter(answer.readline, b"\r\n")
        )
        rest = answer.read(int(headers[b"content-length"]))
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b'"error":"content_too_large"' in rest
