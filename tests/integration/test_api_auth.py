"""The API key: data endpoints need it when one is set; probes and docs never do."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from config import Settings
from containers import Container
from tests.integration.conftest import make_settings

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


class TestWithAKey:
    @pytest.fixture
    def settings(self) -> Settings:
        return make_settings(api_key=KEY)

    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_missing_key_is_401(self, client: TestClient, method: str, path: str) -> None:
        response = client.request(method, path, json={})
        assert response.status_code == 401
        assert response.json() == {
            "error": "unauthorized",
            "detail": "missing or wrong X-API-Key header",
        }

    @pytest.mark.parametrize("wrong", ["", "k3y", KEY + "x", KEY.upper(), "ключ".encode()])
    def test_wrong_key_is_401(self, client: TestClient, wrong: str | bytes) -> None:
        response = client.get("/api/users", headers={"X-API-Key": wrong})
        assert response.status_code == 401

    def test_right_key_passes(self, client: TestClient) -> None:
        headers = {"X-API-Key": KEY}
        created = client.post(
            "/api/users", json={"username": "ada", "email": "a@example.com"}, headers=headers
        )
        assert created.status_code == 201
        assert client.get("/api/users", headers=headers).status_code == 200
        assert client.get("/api/stats", headers=headers).status_code == 200

    def test_auth_is_checked_before_the_body(self, client: TestClient) -> None:
        response = client.post("/api/users", content=b"{not json")
        assert response.status_code == 401

    @pytest.mark.parametrize("path", OPEN)
    def test_probes_metrics_and_docs_stay_open(self, client: TestClient, path: str) -> None:
        assert client.get(path).status_code == 200

    def test_a_new_endpoint_under_api_is_protected_by_default(self, container: Container) -> None:
        app = create_app(container)

        @app.get("/api/reports")
        async def reports() -> list[str]:
            return ["confidential"]

        with TestClient(app) as client:
            assert client.get("/api/reports").status_code == 401
            assert client.get("/api/reports", headers={"X-API-Key": KEY}).json() == ["confidential"]

    def test_unknown_api_paths_do_not_reveal_what_exists(self, client: TestClient) -> None:
        assert client.get("/api/no-such-thing").status_code == 401
        assert client.get("/api/no-such-thing", headers={"X-API-Key": KEY}).status_code == 404


def test_before_start_up_protected_paths_fail_closed(container: Container) -> None:
    """Without the lifespan nobody has read the settings: refuse rather than serve."""
    client = TestClient(create_app(container))  # no `with`: the lifespan does not run
    response = client.get("/api/users")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert client.get("/api/health").status_code == 200


class TestWithoutAKey:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_nothing_needs_a_key(self, client: TestClient, method: str, path: str) -> None:
        response = client.request(method, path, json={})
        assert response.status_code != 401

    def test_a_blank_key_setting_leaves_the_api_open(self) -> None:
        container = Container()
        container.settings.override(make_settings(api_key=""))
        with TestClient(create_app(container)) as client:
            assert client.get("/api/users", headers={"X-API-Key": ""}).status_code == 200
