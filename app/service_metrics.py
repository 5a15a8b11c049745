"""Service figures as Prometheus families, from one read of every `get_stats()` per scrape."""

from collections.abc import Iterator, Mapping
from typing import Any, Final

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_SINGLE_FIGURES: Final = (  # (family type, service, figure, family name, help)
    (CounterMetricFamily, "cache", "hit_count", "wirework_cache_hits", "Lookups that hit."),
    (CounterMetricFamily, "cache", "miss_count", "wirework_cache_misses", "Lookups that missed."),
    (CounterMetricFamily, "cache", "evictions", "wirework_cache_evictions", "Entries evicted."),
    (GaugeMetricFamily, "cache", "entries", "wirework_cache_entries", "Entries held now."),
    (GaugeMetricFamily, "database", "max_size", "wirework_db_pool_max_size", "Pool size limit."),
)
_TASK_FIGURES: Final = (
    ("runs", "Finished runs of a background task, failed ones included."),
    ("errors", "Runs of a background task that raised or timed out."),
)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class ServiceStatsCollector(Collector):
    """One scrape's snapshot of the services' `get_stats()`; None where it failed."""

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
            up.add_metric((name,), float(stats is not None))
            for key, raw in (stats or {}).items():
                if (value := _number(raw)) is not None:
                    figures.add_metric((name, key), value)
        yield from (up, figures)
        for family, service, key, name, documentation in _SINGLE_FIGURES:
            if (value := _number((self._stats.get(service) or {}).get(key))) is not None:
                yield family(name, documentation, value)
        database = self._stats.get("database") or {}
        connections = GaugeMetricFamily(
            "wirework_db_pool_connections", "Open pool connections, by state.", labels=("state",)
        )
        for state in ("in_use", "available"):
            if (value := _number(database.get(f"{state}_connections"))) is not None:
                connections.add_metric((state,), value)
        yield connections
        background = self._stats.get("background") or {}
        if "status" in background:
            running = float(background["status"] == "running")
            yield GaugeMetricFamily(
                "wirework_background_running", "1 while the scheduler runs.", running
            )
        tasks = background.get("task_stats")
        for key, documentation in _TASK_FIGURES:
            counter = CounterMetricFamily(
                f"wirework_background_task_{key}", documentation, labels=("task",)
            )
            for task, counts in (tasks if isinstance(tasks, Mapping) else {}).items():
                if (value := _number(counts.get(key))) is not None:
                    counter.add_metric((task,), value)
            yield counter
