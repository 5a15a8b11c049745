"""The API key: data endpoints need it when one is set; probes and docs never do."""

import httpx
import pytest
from fastapi import FastAPI

KEY = "k3y-with-enough-entropy"
PROTECTED = [
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/users/1"),
    ("PATCH", "/api/users/1"),
    ("DELETE", "/api/users/1"),
    ("GET", "/api/stats"),
]
OPEN = ["/api/health", "/api/ready", "/metrics", "/docs", "/openapi.json"]


@pytest.mark.settings(api_key=KEY)
class TestWithAKey:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    async def test_missing_key_is_401(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path, json={})
        assert response.status_code == 401
        assert response.json() == {
            "error": "unauthorized",
            "detail": "missing or wrong X-API-Key header",
        }

    @pytest.mark.parametrize("wrong", ["", "k3y", KEY + "x", KEY.upper(), "ключ".encode()])
    async def test_wrong_key_is_401(self, client: httpx.AsyncClient, wrong: str | bytes) -> None:
        response = await client.get("/api/users", headers={"X-API-Key": wrong})
        assert response.status_code == 401

    async def test_right_key_passes(self, client: httpx.AsyncClient) -> None:
        headers = {"X-API-Key": KEY}
        created = await client.post(
            "/api/users", json={"username": "ada", "email": "a@example.com"}, headers=headers
        )
        assert created.status_code == 201
        assert (await client.get("/api/users", headers=headers)).status_code == 200
        assert (await client.get("/api/stats", headers=headers)).status_code == 200

    async def test_auth_is_checked_before_the_body(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/users", content=b"{not json")
        assert response.status_code == 401

    @pytest.mark.parametrize("path", OPEN)
    async def test_probes_metrics_and_docs_stay_open(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        assert (await client.get(path)).status_code == 200

    async def test_a_new_endpoint_under_api_is_protected_by_default(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        @app.get("/api/reports")
        async def reports() -> list[str]:
            return ["confidential"]

        assert (await client.get("/api/reports")).status_code == 401
        response = await client.get("/api/reports", headers={"X-API-Key": KEY})
        assert response.json() == ["confidential"]

    async def test_unknown_api_paths_do_not_reveal_what_exists(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await client.get("/api/no-such-thing")).status_code == 401
        assert (
            await client.get("/api/no-such-thing", headers={"X-API-Key": KEY})
        ).status_code == 404


class TestWithoutAKey:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    async def test_nothing_needs_a_key(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path, json={})
        assert response.status_code != 401

    @pytest.mark.settings(api_key="")
    async def test_a_blank_key_setting_leaves_the_api_open(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/users", headers={"X-API-Key": ""})
        assert response.status_code == 200
