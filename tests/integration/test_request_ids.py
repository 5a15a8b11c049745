"""Every answer of the application carries its request ID, and its log lines carry it too."""

import io
import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from containers import Container, override_services
from providers.database import DatabaseService
from tests.helpers import captured_logs, fake


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Wirework's JSON logging, as `serve` configures it, into a buffer."""
    with captured_logs("json") as stream:
        yield stream


async def test_a_404_carries_the_id_in_its_header_and_its_access_line(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    response = await client.get("/api/users/404", headers={"X-Request-ID": "lb-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "lb-404"
    [access] = [
        line
        for line in map(json.loads, json_logs.getvalue().splitlines())
        if line["logger"] == "app.access"
    ]
    assert access["request_id"] == "lb-404"
    assert access["route"] == "/api/users/{user_id}"
    assert access["status"] == 404


async def test_a_500_from_a_failing_service_carries_an_id(
    client: httpx.AsyncClient, container: Container
) -> None:
    database = fake(DatabaseService)
    database.get_stats.side_effect = RuntimeError("boom")
    with override_services(container, database=database):
        response = await client.get("/api/stats")
    assert response.status_code == 500
    assert len(response.headers["X-Request-ID"]) == 32


async def test_the_answer_before_start_up_carries_an_id(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)  # no lifespan: the guard answers
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/health")
    assert response.status_code == 503
    assert len(response.headers["X-Request-ID"]) == 32
