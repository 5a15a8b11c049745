"""The FastAPI application: `create_app(container)` wires routers to a container.
`app = create_app()` opens nothing at import time: every resource starts in the lifespan."""

import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app.api_docs import ASSETS_URL, SameOriginDocsMiddleware
from app.errors import install_error_handlers
from app.lifespan_guard import LifespanGuardMiddleware
from app.metrics import HttpMetrics
from app.observability import ObservabilityMiddleware, document_request_id
from app.proxy import ForwardedHeadersMiddleware
from app.request_limits import BodySizeLimitMiddleware
from app.routers import auth, health, stats, status, users
from app.security import (
    ApiKeyMiddleware,
    configured_api_key,
    document_api_key,
    refuse_open_production,
)
from containers import Container
from providers.background import BackgroundService
from providers.cache import CacheService

logger = logging.getLogger(__name__)


def add_heartbeat(background: BackgroundService, cache: CacheService, interval: float) -> None:
    """The cluster heartbeat, run by one instance per interval: which instance (`host:pid`)
    holds the lease, and when, in the cache."""

    async def heartbeat() -> None:
        beat = {"instance": f"{socket.gethostname()}:{os.getpid()}", "at": time.time()}
        await cache.set("cluster:heartbeat", beat, ttl=interval * 3)

    background.add_task("cluster-heartbeat", heartbeat, interval, exclusive=True, timeout=interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Check the settings, start the services and the scheduler; undo it all on the way out."""
    container: Container = app.state.container
    settings = container.settings()
    refuse_open_production(settings)
    if settings.reload_mode:
        logger.warning(
            "reload_mode is on: the services open nothing, so data endpoints will fail; "
            "it is meant for a reloading supervisor, not for a process that serves"
        )
    # What the middlewares read per request, from the settings of this start.
    app.state.api_key = configured_api_key(settings)
    app.state.max_body_size = settings.server.max_body_size
    app.state.access_log = settings.log.access
    await container.init_resources()
    app.state.tokens = await container.tokens()  # the key check lets valid tokens through
    try:
        background = await container.background()
        if (interval := settings.background.heartbeat_interval) is not None:
            add_heartbeat(background, await container.cache(), interval)
        await background.start()
        try:
            yield
        finally:
            await background.stop()
            logger.info("background scheduler stopped: its tasks are cancelled")
    finally:
        await container.shutdown_resources()  # logs the provider path of each one it closed


def create_app(container: Container | None = None, *, readiness_timeout: float = 2.0) -> FastAPI:
    """Build the application around `container` (a fresh `Container()` when None); each service
    gets `readiness_timeout` seconds to answer a readiness ping."""
    app = FastAPIOffline(  # `/docs` and `/redoc` from bundled assets (see app.api_docs)
        static_url=ASSETS_URL,
        title="Wirework",
        summary="Users, health, readiness, statistics and metrics over a DI container.",
        version=version("wirework"),
        lifespan=lifespan,
    )
    app.add_middleware(SameOriginDocsMiddleware)
    # auth first: its /api/users/me must match before /api/users/{user_id}.
    routers = tuple(module.router for module in (auth, users, health, stats, status))
    for router in routers:
        app.include_router(router)
    app.state.container = container if container is not None else Container()
    app.state.readiness_timeout = readiness_timeout
    app.state.metrics = HttpMetrics()
    install_error_handlers(app, routers)
    # Each add_middleware wraps the previous ones: a request meets the observer first (so its
    # ID, metrics, access line and catch-all 500 cover every answer), then the lifespan guard,
    # the body size limit, the forwarded headers and the key check.
    app.add_middleware(ApiKeyMiddleware, state=app.state)
    app.add_middleware(ForwardedHeadersMiddleware, state=app.state)
    app.add_middleware(BodySizeLimitMiddleware, state=app.state)
    app.add_middleware(LifespanGuardMiddleware, state=app.state)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics, state=app.state)
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_schema()  # FastAPI's, which it keeps as `app.openapi_schema`
        enforced = configured_api_key(app.state.container.settings()) is not None
        document_api_key(schema, enforced=enforced)
        document_request_id(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point
    return app


app = create_app()
