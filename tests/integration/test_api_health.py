"""Liveness and readiness, with real services and with fakes that fail."""

import asyncio
from unittest.mock import AsyncMock, MagicMock

from fastapi.testclient import TestClient

from app.main import create_app
from containers import Container, override_services
from containers.discovery import Service, services


def test_ready_when_every_service_answers(client: TestClient, container: Container) -> None:
    response = client.get("/api/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            path: {"status": "ok", "error": None, "detail": None}
            for path in _services_with(client, container, "ping")
        },
    }


def _services_with(client: TestClient, container: Container, method: str) -> list[str]:
    """Paths of the container's services whose object has `method`, from the container."""

    async def instance(service: Service) -> object:
        return await service.provider()

    assert client.portal is not None
    return [
        service.path
        for service in services(container)
        if hasattr(client.portal.call(instance, service), method)
    ]


def test_not_ready_names_the_failing_service(container: Container) -> None:
    cache = AsyncMock()
    cache.ping.side_effect = ConnectionError("connection refused by redis:6379")
    with override_services(container, cache=cache), TestClient(create_app(container)) as client:
        response = client.get("/api/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["cache"] == {
        "status": "error",
        "error": "ConnectionError",
        # The message names a host and port: it goes to the log, not to anyone who asks.
        "detail": "the ping failed; the cause is in the server log",
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["background"]["status"] == "ok"


def test_a_service_that_never_answers_times_out(container: Container) -> None:
    async def hang() -> None:
        await asyncio.sleep(3600)

    database = MagicMock()
    database.ping = hang
    app = create_app(container, readiness_timeout=0.05)
    with override_services(container, database=database), TestClient(app) as client:
        response = client.get("/api/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "error",
        "error": "TimeoutError",
        "detail": "no answer within 0.05 s",
    }


def test_a_service_raising_timeout_itself_is_reported_as_such(container: Container) -> None:
    database = AsyncMock()
    database.ping.side_effect = TimeoutError("pool exhausted")
    with override_services(container, database=database), TestClient(create_app(container)) as c:
        response = c.get("/api/ready")
    assert response.json()["checks"]["database"] == {
        "status": "error",
        "error": "TimeoutError",
        "detail": "the ping failed; the cause is in the server log",
    }


def test_a_synchronous_fake_can_stand_in(container: Container) -> None:
    """MagicMock fakes (sync methods) work as well as AsyncMock ones."""
    with override_services(container, cache=MagicMock()), TestClient(create_app(container)) as c:
        assert c.get("/api/ready").status_code == 200


def test_health_stays_up_while_not_ready(container: Container) -> None:
    background = AsyncMock()
    background.ping.side_effect = RuntimeError("Background service is closed")
    with (
        override_services(container, background=background),
        TestClient(create_app(container)) as client,
    ):
        assert client.get("/api/ready").status_code == 503
        assert client.get("/api/health").json() == {"status": "healthy"}
