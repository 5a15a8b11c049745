"""Service statistics: what each service reports about itself."""

from fastapi import APIRouter, Request

from app.dependencies import app_container
from app.errors import error_responses
from app.schemas import StatsResponse
from app.service_status import read_stats

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/stats", summary="Service statistics", responses=error_responses(401, 500))
async def stats(request: Request) -> StatsResponse:
    """Each service's `get_stats()`; a service that fails gives a 500 (details in the log)."""
    container = app_container(request)
    return StatsResponse(
        database=await read_stats(await container.database()),
        cache=await read_stats(await container.cache()),
        background=await read_stats(await container.background()),
    )
