"""`/metrics`: Prometheus text with HTTP traffic and the services' figures."""

import re
from pathlib import Path
from unittest.mock import AsyncMock

import httpx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.testing import isolated_settings, running_client
from containers import Container, override_services
from containers.discovery import services
from providers.cache import CacheService
from tests.helpers import AsyncTestHelper, fake


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset(labels.items()))]


async def test_requests_are_counted_by_route_template_and_status(client: httpx.AsyncClient) -> None:
    user_id = (
        await client.post("/api/users", json={"username": "ada", "email": "a@example.com"})
    ).json()["id"]
    await client.get(f"/api/users/{user_id}")
    await client.get(f"/api/users/{user_id}")
    await client.get("/api/users/999")
    await client.get("/no/such/page")

    response = await client.get("/metrics")
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


async def test_service_figures_are_read_at_scrape_time(
    client: httpx.AsyncClient, container: Container
) -> None:
    user_id = (
        await client.post("/api/users", json={"username": "ada", "email": "a@example.com"})
    ).json()["id"]
    for _ in range(3):
        await client.get(f"/api/users/{user_id}")

    text = (await client.get("/metrics")).text
    assert value(text, "wirework_cache_hits_total") == 2
    assert value(text, "wirework_cache_misses_total") == 1
    assert value(text, "wirework_cache_evictions_total") == 0
    assert value(text, "wirework_cache_entries") == 1
    assert value(text, "wirework_db_pool_connections", state="in_use") == 0
    assert value(text, "wirework_db_pool_connections", state="available") >= 1
    assert value(text, "wirework_db_pool_max_size") == 5
    assert value(text, "wirework_background_running") == 1
    reported = set(re.findall(r'wirework_service_stats_up\{service="([^"]+)"\} 1\.0', text))
    assert reported <= {service.path for service in services(container)}
    assert {"database", "cache", "background"} <= reported  # the built-in families' sources


async def test_background_task_runs_and_errors(
    client: httpx.AsyncClient, container: Container
) -> None:
    background = await container.background()
    background.add_task("tick", AsyncMock(), 60)
    background.add_task("broken", AsyncMock(side_effect=RuntimeError("boom")), 60)
    assert await AsyncTestHelper.wait_for_condition(
        lambda: all(task.runs >= 1 for task in background.tasks.values())
    )

    text = (await client.get("/metrics")).text
    assert value(text, "wirework_background_task_runs_total", task="tick") == 1
    assert value(text, "wirework_background_task_errors_total", task="tick") == 0
    assert value(text, "wirework_background_task_runs_total", task="broken") == 1
    assert value(text, "wirework_background_task_errors_total", task="broken") == 1


async def test_a_failing_service_does_not_break_the_scrape(
    client: httpx.AsyncClient, container: Container
) -> None:
    cache = fake(CacheService)
    cache.get_stats.side_effect = ConnectionError("down")
    with override_services(container, cache=cache):
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert value(response.text, "wirework_service_stats_up", service="cache") == 0
    assert value(response.text, "wirework_service_stats_up", service="database") == 1
    assert "wirework_cache_hits_total" not in response.text


async def test_each_app_has_its_own_registry(client: httpx.AsyncClient, tmp_path: Path) -> None:
    await client.get("/api/health")
    first_text = (await client.get("/metrics")).text
    other = Container()
    other.settings.override(isolated_settings(tmp_path / "other"))
    async with running_client(create_app(other)) as second:
        second_text = (await second.get("/metrics")).text
    health = 'wirework_http_requests_total{method="GET",route="/api/health",status="200"}'
    assert health in first_text
    assert health not in second_text
    assert REGISTRY.get_sample_value("wirework_http_requests_total") is None
    assert re.search(r"^process_cpu_seconds_total", first_text, re.MULTILINE)
