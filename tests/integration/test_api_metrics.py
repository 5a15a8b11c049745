"""`/metrics`: Prometheus text with HTTP traffic and the services' figures."""

import re
from unittest.mock import AsyncMock

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from containers import Container, override_services
from containers.discovery import services
from tests.helpers import AsyncTestHelper
from tests.integration.conftest import make_settings


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset(labels.items()))]


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    user_id = client.post("/api/users", json={"username": "ada", "email": "a@example.com"}).json()[
        "id"
    ]
    client.get(f"/api/users/{user_id}")
    client.get(f"/api/users/{user_id}")
    client.get("/api/users/999")
    client.get("/no/such/page")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    requests = "wirework_http_requests_total"
    assert value(text, requests, method="POST", route="/api/users", status="201") == 1
    assert value(text, requests, method="GET", route="/api/users/{user_id}", status="200") == 2
    assert value(text, requests, method="GET", route="/api/users/{user_id}", status="404") == 1
    assert value(text, requests, method="GET", route="unmatched", status="404") == 1
    assert f'route="/api/users/{user_id}"' not in text
    latency = "wirework_http_request_duration_seconds_count"
    assert value(text, latency, method="GET", route="/api/users/{user_id}") == 3


def test_service_figures_are_read_at_scrape_time(client: TestClient) -> None:
    user_id = client.post("/api/users", json={"username": "ada", "email": "a@example.com"}).json()[
        "id"
    ]
    for _ in range(3):
        client.get(f"/api/users/{user_id}")

    text = client.get("/metrics").text
    assert value(text, "wirework_cache_hits_total") == 2
    assert value(text, "wirework_cache_misses_total") == 1
    assert value(text, "wirework_cache_evictions_total") == 0
    assert value(text, "wirework_cache_entries") == 1
    assert value(text, "wirework_db_pool_connections", state="in_use") == 0
    assert value(text, "wirework_db_pool_connections", state="available") >= 1
    assert value(text, "wirework_db_pool_max_size") == 5
    assert value(text, "wirework_background_running") == 1
    reported = set(re.findall(r'wirework_service_stats_up\{service="([^"]+)"\} 1\.0', text))
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    assert reported <= {service.path for service in services(container)}
    assert {"database", "cache", "background"} <= reported  # the built-in families' sources


async def test_background_task_runs_and_errors(
    async_client: httpx.AsyncClient, container: Container
) -> None:
    background = await container.background()
    background.add_task("tick", AsyncMock(), 60)
    background.add_task("broken", AsyncMock(side_effect=RuntimeError("boom")), 60)
    assert await AsyncTestHelper.wait_for_condition(
        lambda: all(task.runs >= 1 for task in background.tasks.values())
    )

    text = (await async_client.get("/metrics")).text
    assert value(text, "wirework_background_task_runs_total", task="tick") == 1
    assert value(text, "wirework_background_task_errors_total", task="tick") == 0
    assert value(text, "wirework_background_task_runs_total", task="broken") == 1
    assert value(text, "wirework_background_task_errors_total", task="broken") == 1


def test_a_failing_service_does_not_break_the_scrape(container: Container) -> None:
    cache = AsyncMock()
    cache.get_stats.side_effect = ConnectionError("down")
    with override_services(container, cache=cache), TestClient(create_app(container)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert value(response.text, "wirework_service_stats_up", service="cache") == 0
    assert value(response.text, "wirework_service_stats_up", service="database") == 1
    assert "wirework_cache_hits_total" not in response.text


def test_each_app_has_its_own_registry(container: Container) -> None:
    with TestClient(create_app(container)) as first:
        first.get("/api/health")
        first_text = first.get("/metrics").text
    other = Container()
    other.settings.override(make_settings())
    with TestClient(create_app(other)) as second:
        second_text = second.get("/metrics").text
    health = 'wirework_http_requests_total{method="GET",route="/api/health",status="200"}'
    assert health in first_text
    assert health not in second_text
    assert REGISTRY.get_sample_value("wirework_http_requests_total") is None
    assert re.search(r"^process_cpu_seconds_total", first_text, re.MULTILINE)
