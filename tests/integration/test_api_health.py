"""Liveness and readiness, with real services and with fakes that fail."""

import asyncio

import httpx

from app.main import create_app
from app.testing import running_client
from containers import Container, override_services
from containers.discovery import services
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from tests.helpers import fake


async def test_ready_when_every_service_answers(
    client: httpx.AsyncClient, container: Container
) -> None:
    response = await client.get("/api/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            path: {"status": "ok", "error": None, "detail": None}
            for path in await _services_with(container, "ping")
        },
    }


async def _services_with(container: Container, method: str) -> list[str]:
    """Paths of the container's services whose object has `method`, from the container."""
    return [
        service.path for service in services(container) if hasattr(await service.provider(), method)
    ]


async def test_not_ready_names_the_failing_required_service(
    client: httpx.AsyncClient, container: Container
) -> None:
    database = fake(DatabaseService)
    database.ping.side_effect = ConnectionError("connection refused by db:5432")
    with override_services(container, database=database):
        response = await client.get("/api/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == {
        "status": "error",
        "error": "ConnectionError",
        # The message names a host and port: it goes to the log, not to anyone who asks.
        "detail": "the ping failed; the cause is in the server log",
    }
    assert body["checks"]["cache"]["status"] == "ok"


async def test_a_failing_cache_and_lock_leave_the_instance_ready_but_degraded(
    client: httpx.AsyncClient, container: Container
) -> None:
    """Requests are still served (cache misses, no exclusive tasks): a load balancer must
    keep the instance, so readiness answers 200."""
    cache, background = fake(CacheService), fake(BackgroundService)
    cache.ping.side_effect = ConnectionError("connection refused by redis:6379")
    background.ping.side_effect = ConnectionError("connection refused by redis:6379")
    with override_services(container, cache=cache, background=background):
        response = await client.get("/api/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "degraded"
    assert body["checks"]["background"]["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"


async def test_a_service_that_never_answers_times_out(container: Container) -> None:
    async def hang() -> None:
        await asyncio.Event().wait()  # never set: only the readiness timeout ends it

    database = fake(DatabaseService)
    database.ping.side_effect = hang
    app = create_app(container, readiness_timeout=0.05)
    with override_services(container, database=database):
        async with running_client(app) as client:
            response = await client.get("/api/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "error",
        "error": "TimeoutError",
        "detail": "no answer within 0.05 s",
    }


async def test_a_service_raising_timeout_itself_is_reported_as_such(
    client: httpx.AsyncClient, container: Container
) -> None:
    database = fake(DatabaseService)
    database.ping.side_effect = TimeoutError("pool exhausted")
    with override_services(container, database=database):
        response = await client.get("/api/ready")
    assert response.json()["checks"]["database"] == {
        "status": "error",
        "error": "TimeoutError",
        "detail": "the ping failed; the cause is in the server log",
    }


async def test_health_stays_up_while_not_ready(
    client: httpx.AsyncClient, container: Container
) -> None:
    database = fake(DatabaseService)
    database.ping.side_effect = RuntimeError("Database service is closed")
    with override_services(container, database=database):
        assert (await client.get("/api/ready")).status_code == 503
        assert (await client.get("/api/health")).json() == {"status": "healthy"}
