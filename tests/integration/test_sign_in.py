"""`POST /api/auth/token`: the OAuth2 password flow, one answer for every wrong guess, and
failed sign-ins limited per e-mail and per client."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from containers import Container, override_services
from providers.auth import LoginLimiter, MemoryCounts
from tests.helpers import fake
from tests.integration.auth_helpers import PASSWORD, create_user, sign_in


async def test_a_right_password_gives_a_bearer_token(client: httpx.AsyncClient) -> None:
    ada = await create_user(client, "ada")
    response = await sign_in(client, "ada@example.com")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = await client.get("/api/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == ada


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("ADA@example.com", PASSWORD),
    ],
)
async def test_every_wrong_guess_gets_the_same_401(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    """An unknown e-mail and a wrong password are told apart by nothing in the answer."""
    await create_user(client, "ada")
    response = await sign_in(client, email, password)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"error": "unauthorized", "detail": "wrong e-mail or password"}


async def test_a_deactivated_user_cannot_sign_in(client: httpx.AsyncClient) -> None:
    ada = await create_user(client, "ada")
    await client.patch(f"/api/users/{ada['id']}", json={"is_active": False})
    assert (await sign_in(client, "ada@example.com")).status_code == 401


async def test_a_user_without_a_password_cannot_sign_in(client: httpx.AsyncClient) -> None:
    await client.post("/api/users", json={"username": "bo", "email": "bo@example.com"})
    assert (await sign_in(client, "bo@example.com", "")).status_code in {401, 422}
    assert (await sign_in(client, "bo@example.com", "any password")).status_code == 401


async def test_the_form_is_required(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/token", json={"username": "a", "password": "b"})
    assert response.status_code == 422


@pytest.mark.settings(auth={"max_failures_per_email": 2, "failure_window": 60})
async def test_failures_per_email_are_limited_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "ada")
    for _ in range(2):
        assert (await sign_in(client, "ada@example.com", "wrong password")).status_code == 401
    refused = await sign_in(client, "ada@example.com")  # even the right password now
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"] == "too_many_requests"


@pytest.mark.settings(auth={"max_failures_per_email": 3})
async def test_signing_in_forgives_the_emails_failures(client: httpx.AsyncClient) -> None:
    await create_user(client, "ada")
    for _ in range(3):
        for _ in range(2):
            await sign_in(client, "ada@example.com", "wrong password")
        assert (await sign_in(client, "ada@example.com")).status_code == 200


@pytest.mark.settings(auth={"max_failures_per_client": 3})
async def test_failures_per_client_are_limited_across_emails(client: httpx.AsyncClient) -> None:
    """Guessing one password for many e-mails is limited too."""
    for number in range(3):
        assert (await sign_in(client, f"user{number}@example.com")).status_code == 401
    assert (await sign_in(client, "another@example.com")).status_code == 429


@pytest.fixture
def limiter_says_wait(container: Container) -> Iterator[Any]:
    limiter = fake(LoginLimiter)
    limiter.retry_after.return_value = 41.2
    with override_services(container, login_limiter=limiter):
        yield limiter


async def test_the_limiter_is_asked_before_the_password(
    client: httpx.AsyncClient, limiter_says_wait: Any
) -> None:
    await create_user(client, "ada")
    refused = await sign_in(client, "ada@example.com")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "42"
    limiter_says_wait.retry_after.assert_awaited_once_with("ada@example.com", "127.0.0.1")
    limiter_says_wait.failed.assert_not_awaited()


async def test_memory_counts_end_with_their_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(
        MemoryCounts(clock=lambda: now[0]), per_email=1, per_client=10, window=30
    )
    await limiter.failed("ada@example.com", "10.0.0.1")
    assert await limiter.retry_after("ADA@example.com", "10.0.0.2") == 30
    now[0] = 29.5
    assert await limiter.retry_after("ada@example.com", "10.0.0.2") == 0.5
    now[0] = 30
    assert await limiter.retry_after("ada@example.com", "10.0.0.1") is None
