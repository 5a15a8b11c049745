"""Prometheus metrics: HTTP traffic measured per request, service figures read per scrape;
a registry per application, and prometheus-client loaded with the first request or scrape."""

import functools
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from dependency_injector import containers

from app.service_status import read_stats
from containers.discovery import services

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

logger = logging.getLogger(__name__)

CONTENT_TYPE: Final = "text/plain; version=1.0.0; charset=utf-8"
"""prometheus-client's `CONTENT_TYPE_LATEST`, known without loading it."""


class HttpMetrics:
    """Requests by method, route template and status, and their latency; the middleware
    bounds the label sets."""

    @functools.cached_property
    def _families(self) -> "tuple[CollectorRegistry, Counter, Histogram]":
        import prometheus_client  # noqa: PLC0415  # loaded on first use

        registry = prometheus_client.CollectorRegistry()
        prometheus_client.ProcessCollector(registry=registry)
        prometheus_client.GCCollector(registry=registry)
        requests = prometheus_client.Counter(
            "wirework_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=registry,
        )
        latency = prometheus_client.Histogram(
            "wirework_http_request_duration_seconds",
            "Time from receiving a request to sending the end of its response.",
            ("method", "route"),
            registry=registry,
        )
        return registry, requests, latency

    @property
    def registry(self) -> "CollectorRegistry":
        """The registry of these metrics and of the process and GC collectors."""
        return self._families[0]

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        _, requests, latency = self._families
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(seconds)


async def render_metrics(metrics: HttpMetrics, container: containers.Container) -> bytes:
    """The Prometheus text exposition: HTTP metrics plus a fresh read of every service."""
    from prometheus_client import generate_latest  # noqa: PLC0415  # loaded on first use

    from app.service_metrics import ServiceStatsCollector  # noqa: PLC0415

    snapshot: dict[str, Mapping[str, Any] | None] = {}
    for service in services(container):
        try:
            if (stats := await read_stats(await service.provider())) is not None:
                snapshot[service.path] = stats
        except Exception:  # one broken service must not hide every other metric
            logger.warning("reading %s stats for /metrics failed", service.path, exc_info=True)
            snapshot[service.path] = None
    return generate_latest(metrics.registry) + generate_latest(ServiceStatsCollector(snapshot))
