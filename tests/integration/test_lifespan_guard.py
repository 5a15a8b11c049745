"""Requests outside the lifespan get a 503 that says how to run it, never a half-started app."""

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.lifespan_guard import LIFESPAN_NOT_RUNNING
from containers import Container


def without_lifespan(app: FastAPI) -> httpx.AsyncClient:
    """A client that sends requests straight to the app: no lifespan ever runs."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == LIFESPAN_NOT_RUNNING
    assert "lifespan is not running" in body["detail"]
    assert "`client` fixture" in body["detail"]
    assert "LifespanManager" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/users"), ("POST", "/api/users"), ("GET", "/api/stats"), ("GET", "/api/health")],
)
async def test_every_request_before_start_up_is_a_503_saying_why(
    app: FastAPI, container: Container, method: str, path: str
) -> None:
    async with without_lifespan(app) as client:
        assert_refused(await client.request(method, path, json={"username": "ada"}))
    for name in ("database", "cache", "background", "users"):
        assert not getattr(container, name).initialized, f"{name} was opened by a request"


async def test_readiness_is_never_ready_without_the_lifespan(app: FastAPI) -> None:
    async with without_lifespan(app) as client:
        response = await client.get("/api/ready")
    assert_refused(response)
    assert "ready" not in response.json().values()


async def test_requests_pass_only_while_the_lifespan_runs(app: FastAPI) -> None:
    async with without_lifespan(app) as client:
        async with LifespanManager(app):
            assert (await client.get("/api/ready")).status_code == 200
        assert_refused(await client.get("/api/ready"))


@pytest.mark.settings(environment="production")
async def test_a_failed_start_up_keeps_refusing(app: FastAPI) -> None:
    with pytest.raises(RuntimeError, match="APP_API_KEY"):
        async with LifespanManager(app):
            pass  # pragma: no cover - never reached
    async with without_lifespan(app) as client:
        assert_refused(await client.get("/api/health"))
