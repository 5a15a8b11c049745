"""`/status`: a page for people showing every service live, and the panel it refreshes.

With an API key configured the page is an empty shell asking for the key, and the data comes
from `/api/status/panel`, which the key middleware guards like every path under `/api/`.
"""

import functools
from importlib.resources import files
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.dependencies import InjectingRoute, app_container
from app.graph_drawing import layout
from app.status_page.snapshot import take_snapshot

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

PANEL_URL: Final = "/api/status/panel"
ASSETS_URL: Final = "/status-assets"
REFRESH_SECONDS: Final = 3

_PACKAGE: Final = files("app.status_page")

router = APIRouter(
    route_class=InjectingRoute, include_in_schema=False, default_response_class=HTMLResponse
)
router.mount(ASSETS_URL, StaticFiles(directory=str(_PACKAGE / "static")), name="status-assets")


@functools.cache
def _templates() -> "Jinja2Templates":
    """The templates, loading jinja2 with the first page asked for rather than at start-up."""
    from fastapi.templating import Jinja2Templates  # noqa: PLC0415

    return Jinja2Templates(directory=str(_PACKAGE / "templates"))


async def _panel_context(request: Request) -> dict[str, object]:
    state = request.app.state
    snapshot = await take_snapshot(app_container(request), state.readiness_timeout)
    states = {service.path: service.state.value for service in snapshot.services}
    return {"snapshot": snapshot, "layout": layout(snapshot.services), "states": states}


@router.get("/status")
async def status_page(request: Request) -> HTMLResponse:
    """The page; with no API key configured it arrives already filled in."""
    key_required = request.app.state.api_key is not None
    context: dict[str, object] = {
        "title": request.app.title,
        "panel_url": PANEL_URL,
        "assets_url": ASSETS_URL,
        "refresh_seconds": REFRESH_SECONDS,
        "key_required": key_required,
        "snapshot": None,
    }
    if not key_required:
        context.update(await _panel_context(request))
    return _templates().TemplateResponse(request, "status.html", context)


@router.get(PANEL_URL)
async def status_panel(request: Request) -> HTMLResponse:
    """The graph and the service cards as an HTML fragment, for the page to swap in."""
    context = await _panel_context(request)
    return _templates().TemplateResponse(
        request, "panel.html", context, headers={"Cache-Control": "no-store"}
    )
