"""Prometheus metrics: HTTP traffic measured per request, service figures read per scrape.

Each application owns its `CollectorRegistry`, so several apps in one process (tests)
never collide in prometheus-client's global registry. prometheus-client is imported when
the first request is recorded or the first scrape comes, not when the app is built: a
command or a test that serves nothing does not load it.
"""

import functools
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from dependency_injector import containers

from app.service_status import instance_of, read_stats
from containers.discovery import services

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

logger = logging.getLogger(__name__)

CONTENT_TYPE: Final = "text/plain; version=1.0.0; charset=utf-8"
"""The media type of `render_metrics`' text: prometheus-client's `CONTENT_TYPE_LATEST`."""


class HttpMetrics:
    """Request count by method, route template and status, and request latency; the label
    sets are bounded by the routes and the methods the middleware lets through."""

    @functools.cached_property
    def _families(self) -> "tuple[CollectorRegistry, Counter, Histogram]":
        from prometheus_client import (  # noqa: PLC0415  # on first use, see the module doc
            CollectorRegistry,
            Counter,
            GCCollector,
            Histogram,
            ProcessCollector,
        )

        registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)
        requests = Counter(
            "wirework_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=registry,
        )
        latency = Histogram(
            "wirework_http_request_duration_seconds",
            "Time from receiving a request to sending the end of its response.",
            ("method", "route"),
            registry=registry,
        )
        return registry, requests, latency

    @property
    def registry(self) -> "CollectorRegistry":
        """The registry holding these metrics (and the process and GC collectors)."""
        return self._families[0]

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        _, requests, latency = self._families
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(seconds)


async def render_metrics(metrics: HttpMetrics, container: containers.Container) -> bytes:
    """The Prometheus text exposition: HTTP metrics plus a fresh read of every service."""
    from prometheus_client import generate_latest  # noqa: PLC0415  # see the module doc

    from app.service_metrics import ServiceStatsCollector  # noqa: PLC0415

    snapshot: dict[str, Mapping[str, Any] | None] = {}
    for service in services(container):
        try:
            stats = await read_stats(await instance_of(service))
        except Exception:  # one broken service must not hide every other metric
            logger.warning("reading %s stats for /metrics failed", service.path, exc_info=True)
            snapshot[service.path] = None
        else:
            if stats is not None:
                snapshot[service.path] = stats
    return generate_latest(metrics.registry) + generate_latest(ServiceStatsCollector(snapshot))
