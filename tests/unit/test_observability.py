"""Request IDs, metrics and log formats: one request followed through what it leaves."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.metrics import HttpMetrics
from app.observability import (
    ObservabilityMiddleware,
)
from providers.context import request_id
from tests.helpers import captured_logs

app_logger = logging.getLogger("app.test_logs")


async def endpoint(request: Request) -> PlainTextResponse:
    app_logger.warning("inside the request")
    return PlainTextResponse(request_id.get() or "", status_code=201)


def build(access_log: bool = True, metrics: HttpMetrics | None = None) -> httpx.AsyncClient:
    app = ObservabilityMiddleware(
        Starlette(routes=[Route("/items/{n}", endpoint)]),
        metrics or HttpMetrics(),
        State({"access_log": access_log}),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def log_stream(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Wirework's logging configured as `request.param` format, writing into a buffer."""
    with captured_logs(request.param) as stream:
        yield stream


async def test_a_request_without_an_id_gets_a_new_one() -> None:
    async with build() as client:
        first = await client.get("/items/1")
        second = await client.get("/items/1")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert first.text == first.headers["X-Request-ID"]  # the request's code sees the same ID


async def test_a_sane_client_id_is_kept() -> None:
    async with build() as client:
        response = await client.get("/items/1", headers={"X-Request-ID": "lb-7f3a.2:9"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2:9"
    assert response.text == "lb-7f3a.2:9"


@pytest.mark.parametrize("sent", [b"x" * 129, b"a b", "id\u00e9".encode(), b"a\\nforged", b""])
async def test_an_insane_client_id_is_replaced(sent: bytes) -> None:
    async with build() as client:
        response = await client.get("/items/1", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"].encode() != sent
    assert len(response.headers["X-Request-ID"]) == 32


async def test_a_route_that_does_not_exist_still_answers_with_an_id() -> None:
    async with build() as client:
        response = await client.get("/nowhere")
    assert response.status_code == 404
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("log_stream", ["json"], indirect=True)
async def test_json_lines_carry_the_request_id_and_the_access_fields(
    log_stream: io.StringIO,
) -> None:
    async with build() as client:
        response = await client.get("/items/7", headers={"X-Request-ID": "req-1"})
    application, access = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert application["message"] == "inside the request"
    assert application["request_id"] == "req-1"
    assert {"time", "level", "logger"} <= application.keys()
    assert access["logger"] == "app.access"
    assert access["request_id"] == response.headers["X-Request-ID"]
    assert access["method"] == "GET"
    assert access["route"] == "/items/{n}"
    assert access["status"] == 201
    assert access["duration_ms"] >= 0


@pytest.mark.parametrize("log_stream", ["text"], indirect=True)
async def test_text_lines_show_the_request_id(log_stream: io.StringIO) -> None:
    async with build() as client:
        await client.get("/items/7", headers={"X-Request-ID": "req-2"})
    app_logger.warning("outside any request")
    inside, access, outside = log_stream.getvalue().splitlines()
    assert "[req-2] inside the request" in inside
    assert "[req-2] GET /items/7 201" in access
    assert "[-] outside any request" in outside


@pytest.mark.parametrize("log_stream", ["json"], indirect=True)
async def test_the_access_line_can_be_switched_off(log_stream: io.StringIO) -> None:
    async with build(access_log=False) as client:
        await client.get("/items/7")
    [line] = log_stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "inside the request"


async def test_every_request_is_counted_by_route_template() -> None:
    metrics = HttpMetrics()
    async with build(metrics=metrics) as client:
        await client.get("/items/1")
        await client.get("/items/2")
        await client.get("/nowhere")
        await client.request("BREW", "/items/3")
    count = metrics.registry.get_sample_value
    labels = {"method": "GET", "route": "/items/{n}", "status": "201"}
    assert count("wirework_http_requests_total", labels) == 2
    assert count("wirework_http_requests_total", {**labels, "route": "unmatched", "status": "404"})
    brewed = {**labels, "method": "OTHER", "status": "405"}
    assert count("wirework_http_requests_total", brewed) == 1
