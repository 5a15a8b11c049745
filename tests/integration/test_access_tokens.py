"""Access tokens: they expire by the container's clock, a password change or deactivation
revokes them, and where the API key is set they reach only their own user (an admin's,
everyone)."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.testing import FakeClock
from containers import Container, override_services
from tests.integration.auth_helpers import KEY, bearer, create_user, make_admin

SERVICE = {"X-API-Key": KEY}


@pytest.fixture(autouse=True)
def tokens_on_the_test_clock(container: Container, clock: FakeClock) -> Iterator[None]:
    with override_services(container, clock=clock):
        yield


@pytest.mark.settings(auth={"token_lifetime": 60})
async def test_a_token_expires_by_the_containers_clock(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_user(client, "ada")
    headers = await bearer(client, "ada@example.com")
    clock.advance(59)
    assert (await client.get("/api/users/me", headers=headers)).status_code == 200
    clock.advance(1)
    expired = await client.get("/api/users/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "the access token has expired"


@pytest.mark.parametrize("change", [{"password": "a brand new password"}, {"is_active": False}])
async def test_a_password_change_or_deactivation_revokes_tokens(
    client: httpx.AsyncClient, change: dict[str, object]
) -> None:
    ada = await create_user(client, "ada")
    headers = await bearer(client, "ada@example.com")
    assert (await client.patch(f"/api/users/{ada['id']}", json=change)).status_code == 200
    refused = await client.get("/api/users/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the access token has been revoked: sign in again"


async def test_other_changes_keep_tokens(client: httpx.AsyncClient) -> None:
    ada = await create_user(client, "ada")
    headers = await bearer(client, "ada@example.com")
    await client.patch(f"/api/users/{ada['id']}", json={"username": "countess"})
    me = await client.get("/api/users/me", headers=headers)
    assert me.json()["username"] == "countess"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic YWRhOnNlY3JldA==", "Bearer a.b.c"],
)
async def test_me_needs_a_valid_token(client: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/api/users/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
async def test_me_is_no_user_id(client: httpx.AsyncClient, method: str) -> None:
    """`me` never reaches the `{user_id}` routes: another method is a 405, not a 422."""
    response = await client.request(method, "/api/users/me")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


async def test_a_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient) -> None:
    ada = await create_user(client, "ada")
    headers = await bearer(client, "ada@example.com")
    await client.delete(f"/api/users/{ada['id']}")
    assert (await client.get("/api/users/me", headers=headers)).status_code == 401


async def test_without_a_key_users_stay_open(client: httpx.AsyncClient) -> None:
    """Development: the users API is open to everyone, a token or none."""
    ada = await create_user(client, "ada")
    bo = await create_user(client, "bob")
    headers = await bearer(client, "ada@example.com")
    assert (await client.get(f"/api/users/{bo['id']}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/users/{ada['id']}")).status_code == 200


@pytest.mark.settings(api_key=KEY)
class TestWithAKey:
    async def test_a_user_reads_and_changes_only_themself(self, client: httpx.AsyncClient) -> None:
        ada = await create_user(client, "ada", SERVICE)
        bo = await create_user(client, "bob", SERVICE)
        headers = await bearer(client, "ada@example.com")
        own, other = f"/api/users/{ada['id']}", f"/api/users/{bo['id']}"
        assert (await client.get(own, headers=headers)).status_code == 200
        changed = await client.patch(own, json={"username": "countess"}, headers=headers)
        assert changed.status_code == 200
        for method in ("GET", "PATCH", "DELETE"):
            refused = await client.request(method, other, json={}, headers=headers)
            assert refused.status_code == 403, method
            assert refused.json()["error"] == "forbidden"
        assert (await client.get("/api/users", headers=headers)).status_code == 403
        body = {"username": "cyd", "email": "cyd@example.com"}
        assert (await client.post("/api/users", json=body, headers=headers)).status_code == 403
        assert (await client.get(other, headers=SERVICE)).json() == bo

    async def test_no_one_makes_themself_an_admin(self, client: httpx.AsyncClient) -> None:
        ada = await create_user(client, "ada", SERVICE)
        headers = await bearer(client, "ada@example.com")
        own = f"/api/users/{ada['id']}"
        response = await client.patch(own, json={"is_admin": True}, headers=headers)
        assert response.status_code == 422
        assert (await client.get(own, headers=headers)).json()["is_admin"] is False

    async def test_an_admin_reaches_everyone(
        self, client: httpx.AsyncClient, container: Container
    ) -> None:
        root = await create_user(client, "root", SERVICE)
        bo = await create_user(client, "bob", SERVICE)
        await make_admin(container, root["id"])
        headers = await bearer(client, "root@example.com")
        assert (await client.get("/api/users", headers=headers)).status_code == 200
        other = f"/api/users/{bo['id']}"
        assert (await client.patch(other, json={"is_active": False}, headers=headers)).is_success
        assert (await client.delete(other, headers=headers)).status_code == 204

    async def test_a_token_is_no_key_outside_the_users(self, client: httpx.AsyncClient) -> None:
        await create_user(client, "ada", SERVICE)
        headers = await bearer(client, "ada@example.com")
        assert (await client.get("/api/stats", headers=headers)).status_code == 401

    async def test_only_a_valid_token_passes_the_key_check(
        self, app: FastAPI, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        """A forged or expired token is refused before any route runs, even one an
        application added under /api/users without the per-user rules."""

        @app.get("/api/users/{user_id}/notes")
        async def notes(user_id: int) -> list[str]:
            return ["confidential"]

        ada = await create_user(client, "ada", SERVICE)
        valid = await bearer(client, "ada@example.com")
        clock.advance(900)
        for headers in ({"Authorization": "Bearer forged"}, valid):
            for path in (f"/api/users/{ada['id']}", f"/api/users/{ada['id']}/notes"):
                refused = await client.get(path, headers=headers)
                assert refused.status_code == 401, (headers, path)
                assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert refused.json()["detail"] == "the access token has expired"

    async def test_the_key_alone_has_no_me(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/users/me", headers=SERVICE)).status_code == 401

    async def test_signing_in_needs_no_key(self, client: httpx.AsyncClient) -> None:
        await create_user(client, "ada", SERVICE)
        headers = await bearer(client, "ada@example.com")
        assert (await client.get("/api/users/me", headers=headers)).status_code == 200
