"""Liveness and readiness: is the process up, and can it serve right now."""

import logging
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.dependencies import app_container
from app.schemas import HealthResponse, ReadinessResponse, ServiceCheck
from app.service_status import PingResult, ping_services

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["health"])

PING_FAILED_DETAIL: Final = "the ping failed; the cause is in the server log"
"""What readiness says of a failed ping. The exception's own message stays in the log: it
may name a host, a port, a file path or a URL, and readiness answers anyone who asks."""


def _check(result: PingResult) -> ServiceCheck:
    if result.ok:
        return ServiceCheck(status="ok")
    if not result.timed_out:
        logger.warning(
            "readiness: %s failed its ping: %s: %s", result.service, result.error, result.detail
        )
    detail = result.detail if result.timed_out else PING_FAILED_DETAIL
    status = "degraded" if result.degradable else "error"
    return ServiceCheck(status=status, error=result.error, detail=detail)


@router.get("/health", summary="Liveness")
async def health() -> HealthResponse:
    """200 while the process serves requests; it checks no service, so restarts stay rare."""
    return HealthResponse(status="healthy")


@router.get(
    "/ready",
    summary="Readiness",
    response_model=ReadinessResponse,
    responses={503: {"model": ReadinessResponse, "description": "A required service failed."}},
)
async def ready(request: Request) -> JSONResponse:
    """Ping every service at once: 200 `ready`, 200 `degraded` when only services the
    instance serves without failed (a cache), 503 `not_ready` when a required one failed."""
    results = await ping_services(app_container(request), request.app.state.readiness_timeout)
    checks = {result.service: _check(result) for result in results}
    failed = [result for result in results if not result.ok]
    required_failed = any(not result.degradable for result in failed)
    status = "not_ready" if required_failed else "degraded" if failed else "ready"
    body = ReadinessResponse(status=status, checks=checks)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if required_failed else 200)
