"""Service figures as Prometheus metric families, read from each service's `get_stats()`.

Loaded with the exporter (`app.metrics` imports it when first scraped): the figures are not
mirrored into gauges on every change, each scrape takes one snapshot.
"""

from collections.abc import Iterator, Mapping
from typing import Any, Final

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


def _number(stats: Mapping[str, Any], key: str) -> float | None:
    value = stats.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


_SINGLE_FIGURES: Final = (  # (family type, service, figure, family name, help)
    (CounterMetricFamily, "cache", "hit_count", "wirework_cache_hits", "Lookups that hit."),
    (CounterMetricFamily, "cache", "miss_count", "wirework_cache_misses", "Lookups that missed."),
    (CounterMetricFamily, "cache", "evictions", "wirework_cache_evictions", "Entries evicted."),
    (GaugeMetricFamily, "cache", "entries", "wirework_cache_entries", "Entries held now."),
    (GaugeMetricFamily, "database", "max_size", "wirework_db_pool_max_size", "Pool size limit."),
)
"""The built-in services' figures that get a family of their own, with their meaning."""


class ServiceStatsCollector(Collector):
    """One scrape's snapshot of the services' `get_stats()`, as Prometheus metric families."""

    def __init__(self, stats: Mapping[str, Mapping[str, Any] | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        """Every numeric figure by provider path, and the built-in services' own families."""
        up = GaugeMetricFamily(
            "wirework_service_stats_up",
            "1 when the service answered get_stats() during this scrape, else 0.",
            labels=("service",),
        )
        figures = GaugeMetricFamily(
            "wirework_service_stat",
            "Every numeric top-level figure of every service's get_stats(), by provider path.",
            labels=("service", "stat"),
        )
        for name, stats in self._stats.items():
            up.add_metric((name,), 0.0 if stats is None else 1.0)
            for key in stats or {}:
                if (value := _number(stats or {}, key)) is not None:
                    figures.add_metric((name, key), value)
        yield up
        yield figures
        for family, service, key, name, documentation in _SINGLE_FIGURES:
            if (value := _number(self._stats.get(service) or {}, key)) is not None:
                yield family(name, documentation, value)
        database = self._stats.get("database") or {}
        connections = GaugeMetricFamily(
            "wirework_db_pool_connections", "Open pool connections, by state.", labels=("state",)
        )
        for state in ("in_use", "available"):
            if (value := _number(database, f"{state}_connections")) is not None:
                connections.add_metric((state,), value)
        yield connections
        yield from self._background(self._stats.get("background") or {})

    @staticmethod
    def _background(stats: Mapping[str, Any]) -> Iterator[Metric]:
        if "status" in stats:
            running = 1.0 if stats["status"] == "running" else 0.0
            yield GaugeMetricFamily(
                "wirework_background_running", "1 while the scheduler runs.", running
            )
        task_stats = stats.get("task_stats")
        for key, documentation in (
            ("runs", "Finished runs of a background task, failed ones included."),
            ("errors", "Runs of a background task that raised or timed out."),
        ):
            family = CounterMetricFamily(
                f"wirework_background_task_{key}", documentation, labels=("task",)
            )
            for task, counts in (task_stats if isinstance(task_stats, Mapping) else {}).items():
                if (value := _number(counts, key)) is not None:
                    family.add_metric((task,), value)
            yield family
