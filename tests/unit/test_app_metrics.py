"""Turning service stats into Prometheus families, whatever shape a fake reports."""

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import CONTENT_TYPE, HttpMetrics
from app.service_metrics import ServiceStatsCollector


def scrape(stats: dict[str, Any]) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = generate_latest(ServiceStatsCollector(stats)).decode()
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_partial_fake_stats_are_exposed_as_far_as_they_go() -> None:
    database = {"status": "initialized", "in_use_connections": 2, "available_connections": 3}
    cache = {"status": "initialized", "entries": 100, "hit_count": 50, "miss_count": 10}
    families = scrape(
        {
            "database": database,
            "cache": {**cache, "hit_rate": "83.3%"},
            "background": {"status": "stopped"},
        }
    )
    assert families["wirework_db_pool_connections"] == [
        ({"state": "in_use"}, 2.0),
        ({"state": "available"}, 3.0),
    ]
    assert "wirework_db_pool_max_size" not in families
    assert families["wirework_cache_hits"] == [({}, 50.0)]
    assert families["wirework_cache_misses"] == [({}, 10.0)]
    assert "wirework_cache_evictions" not in families
    assert families["wirework_background_running"] == [({}, 0.0)]
    assert families["wirework_background_task_runs"] == []


def test_a_service_whose_stats_failed_is_marked_down() -> None:
    families = scrape({"database": None, "cache": {}, "background": None})
    assert families["wirework_service_stats_up"] == [
        ({"service": "database"}, 0.0),
        ({"service": "cache"}, 1.0),
        ({"service": "background"}, 0.0),
    ]


def test_non_numbers_are_skipped_not_fatal() -> None:
    families = scrape(
        {
            "cache": {"hit_count": True, "miss_count": "7", "entries": None},
            "background": {"task_stats": {"t": {"runs": 3, "errors": "x"}}},
        }
    )
    assert "wirework_cache_hits" not in families
    assert "wirework_cache_misses" not in families
    assert "wirework_cache_entries" not in families
    assert families["wirework_background_task_runs"] == [({"task": "t"}, 3.0)]
    assert families["wirework_background_task_errors"] == []


def test_the_latency_histogram_adds_up_every_status_of_a_route() -> None:
    """Requests are counted per status; the histogram has one series per method and route."""
    metrics = HttpMetrics()
    metrics.observe("GET", "/api/users/{user_id}", 200, 0.002)
    metrics.observe("GET", "/api/users/{user_id}", 404, 0.02)
    metrics.observe("GET", "/api/users/{user_id}", 200, 0.2)

    text = generate_latest(metrics.registry).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}

    route = {"method": "GET", "route": "/api/users/{user_id}"}
    requests = [(s.labels, s.value) for s in families["wirework_http_requests"].samples]
    assert requests == [({**route, "status": "200"}, 2.0), ({**route, "status": "404"}, 1.0)]
    latency = {
        (s.name, s.labels.get("le")): s.value
        for s in families["wirework_http_request_duration_seconds"].samples
    }
    assert latency[("wirework_http_request_duration_seconds_count", None)] == 3.0
    assert latency[("wirework_http_request_duration_seconds_bucket", "0.025")] == 2.0
    assert latency[("wirework_http_request_duration_seconds_sum", None)] == 0.222


def test_the_scrape_says_the_media_type_prometheus_client_writes() -> None:
    assert CONTENT_TYPE == CONTENT_TYPE_LATEST
