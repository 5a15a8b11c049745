"""Liveness and readiness: is the process up, and can it serve right now."""

import logging
from typing import Final

from fastapi import APIRouter, Request, Response

from app.dependencies import InjectingRoute, app_container
from app.schemas import HealthResponse, ReadinessResponse, ServiceCheck
from app.service_status import PingResult, ping_services

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["health"], route_class=InjectingRoute)

PING_FAILED_DETAIL: Final = "the ping failed; the cause is in the server log"
"""Readiness answers anyone: the exception's message (a host, a port, a path) stays in the log."""


def _check(result: PingResult) -> ServiceCheck:
    if result.ok:
        return ServiceCheck(status="ok")
    if not result.timed_out:
        logger.warning(
            "readiness: %s failed its ping: %s: %s", result.service, result.error, result.detail
        )
    detail = result.detail if result.timed_out else PING_FAILED_DETAIL
    return ServiceCheck(
        status="degraded" if result.degradable else "error", error=result.error, detail=detail
    )


@router.get("/health", summary="Liveness")
async def health() -> HealthResponse:
    """200 while the process serves requests; it checks no service, so restarts stay rare."""
    return HealthResponse(status="healthy")


@router.get(
    "/ready",
    summary="Readiness",
    responses={503: {"model": ReadinessResponse, "description": "A required service failed."}},
)
async def ready(request: Request, response: Response) -> ReadinessResponse:
    """Ping every service at once: 200 `ready`, 200 `degraded` when only services the
    instance serves without failed (a cache), 503 `not_ready` when a required one failed."""
    results = await ping_services(app_container(request), request.app.state.readiness_timeout)
    failed = [result for result in results if not result.ok]
    required_failed = any(not result.degradable for result in failed)
    response.status_code = 503 if required_failed else 200
    return ReadinessResponse(
        status="not_ready" if required_failed else "degraded" if failed else "ready",
        checks={result.service: _check(result) for result in results},
    )
