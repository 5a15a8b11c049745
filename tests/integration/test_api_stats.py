"""`/api/stats` on real services, and the catch-all 500 when a service fails."""

import logging
from typing import Any

import httpx
import pytest

from app.errors import INTERNAL_ERROR_DETAIL
from containers import Container, override_services
from providers.background import BackgroundService
from tests.helpers import plain_fake


async def test_stats_of_the_real_services(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/stats")
    assert response.status_code == 200
    data = response.json()
    assert data["database"]["status"] == "initialized"
    assert data["database"]["total_connections"] >= 1
    assert data["cache"]["status"] == "initialized"
    assert data["cache"]["hit_rate"] == "0.0%"
    assert data["background"] == {"status": "running", "tasks": 0, "task_stats": {}}


async def test_a_failing_service_gives_a_bare_500_and_a_log_entry(
    client: httpx.AsyncClient, mock_services: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    mock_services["cache"].get_stats.side_effect = RuntimeError("secret-host:6379 refused")
    with caplog.at_level(logging.ERROR, logger="app.observability"):
        response = await client.get("/api/stats")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "internal_error", "detail": INTERNAL_ERROR_DETAIL}
    assert "secret-host" not in response.text
    assert "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "app.observability"]
    assert "GET /api/stats" in record.getMessage()
    assert record.exc_info is not None
    assert "secret-host:6379 refused" in str(record.exc_info[1])


async def test_the_app_keeps_serving_after_a_500(
    client: httpx.AsyncClient, mock_services: dict[str, Any]
) -> None:
    mock_services["database"].get_stats.side_effect = Exception("Service unavailable")
    assert (await client.get("/api/stats")).status_code == 500
    mock_services["database"].get_stats.side_effect = None
    assert (await client.get("/api/stats")).status_code == 200


async def test_stats_from_synchronous_fakes(
    client: httpx.AsyncClient, container: Container
) -> None:
    background = plain_fake(BackgroundService)
    background.get_stats.return_value = {"status": "stopped", "tasks": 0, "task_stats": {}}
    with override_services(container, background=background):
        assert (await client.get("/api/stats")).json()["background"]["status"] == "stopped"
