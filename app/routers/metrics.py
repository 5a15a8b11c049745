"""`GET /metrics`: the Prometheus scrape endpoint (open, like health and readiness)."""

from fastapi import APIRouter, Request, Response

from app.dependencies import app_container
from app.metrics import CONTENT_TYPE, render_metrics

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Text exposition."}},
)
async def metrics(request: Request) -> Response:
    """HTTP traffic and service figures in the Prometheus text format."""
    body = await render_metrics(request.app.state.metrics, app_container(request))
    return Response(body, media_type=CONTENT_TYPE)
