"""Service statistics: what each service of the container reports about itself."""

from fastapi import APIRouter, Request

from app.dependencies import app_container
from app.errors import error_responses
from app.schemas import StatsResponse
from app.service_status import read_all_stats

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/stats", summary="Service statistics", responses=error_responses(401, 500))
async def stats(request: Request) -> StatsResponse:
    """Each service's `get_stats()` under its provider path; a failure gives a 500 (see log)."""
    report = await read_all_stats(app_container(request))
    return StatsResponse({path: dict(stats) for path, stats in report.items()})
