"""Liveness and readiness: is the process up, and can it serve right now."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.dependencies import app_container
from app.schemas import HealthResponse, ReadinessResponse, ServiceCheck
from app.service_status import ping_services

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Liveness")
async def health() -> HealthResponse:
    """200 while the process serves requests; it checks no service, so restarts stay rare."""
    return HealthResponse(status="healthy")


@router.get(
    "/ready",
    summary="Readiness",
    response_model=ReadinessResponse,
    responses={503: {"model": ReadinessResponse, "description": "A service did not answer."}},
)
async def ready(request: Request) -> JSONResponse:
    """Ping every service at once; 503 names each that failed, with its error type and message."""
    results = await ping_services(app_container(request), request.app.state.readiness_timeout)
    checks = {
        result.service: ServiceCheck(
            status="ok" if result.ok else "error", error=result.error, detail=result.detail
        )
        for result in results
    }
    all_ok = all(result.ok for result in results)
    body = ReadinessResponse(status="ready" if all_ok else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if all_ok else 503)
