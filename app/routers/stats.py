"""What each service reports about itself: `/api/stats` (JSON, behind the key) and `/metrics`
(Prometheus, open like the probes)."""

from fastapi import APIRouter, Request, Response

from app.dependencies import InjectingRoute, app_container
from app.errors import error_responses
from app.metrics import CONTENT_TYPE, render_metrics
from app.schemas import StatsResponse
from app.service_status import read_all_stats

router = APIRouter(route_class=InjectingRoute)


@router.get(
    "/api/stats", summary="Service statistics", tags=["stats"], responses=error_responses(401, 500)
)
async def stats(request: Request) -> StatsResponse:
    """Each service's `get_stats()` under its provider path; a failure gives a 500 (see log)."""
    report = await read_all_stats(app_container(request))
    return StatsResponse({path: dict(stats) for path, stats in report.items()})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    tags=["metrics"],
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Text exposition."}},
)
async def metrics(request: Request) -> Response:
    """HTTP traffic and service figures in the Prometheus text format."""
    body = await render_metrics(request.app.state.metrics, app_container(request))
    return Response(body, media_type=CONTENT_TYPE)
