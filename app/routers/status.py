"""`/status`: a page for people, showing every service live, and the panel it refreshes.

The page itself holds data only when the server has no API key. Otherwise it is an empty
shell that asks for the key, and the data comes from `/api/status/panel`, which sits under
`/api/` so the key middleware guards it like every other data endpoint.
"""

import functools
from importlib.resources import files
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.dependencies import app_container
from app.graph_drawing import layout
from app.status_page.snapshot import Snapshot, take_snapshot

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

STATUS_URL: Final = "/status"
PANEL_URL: Final = "/api/status/panel"
ASSETS_URL: Final = "/status-assets"
REFRESH_SECONDS: Final = 3

_PACKAGE: Final = files("app.status_page")

router = APIRouter()
router.mount(ASSETS_URL, StaticFiles(directory=str(_PACKAGE / "static")), name="status-assets")


@functools.cache
def _templates() -> "Jinja2Templates":
    """The page's templates, with jinja2 loaded by the first page asked for, not at start-up."""
    from fastapi.templating import Jinja2Templates  # noqa: PLC0415

    return Jinja2Templates(directory=str(_PACKAGE / "templates"))


def _panel_context(snapshot: Snapshot) -> dict[str, object]:
    services = snapshot.services
    return {
        "snapshot": snapshot,
        "layout": layout(services),
        "states": {service.path: service.state.value for service in services},
    }


async def _snapshot(request: Request) -> Snapshot:
    return await take_snapshot(app_container(request), request.app.state.readiness_timeout)


@router.get(STATUS_URL, include_in_schema=False, response_class=HTMLResponse)
async def status_page(request: Request) -> HTMLResponse:
    """The page; with no API key configured it arrives already filled in."""
    # Before the lifespan has set it, the key is unknown: treat it as required (closed).
    key_required = getattr(request.app.state, "api_key", b"") is not None
    context: dict[str, object] = {
        "title": request.app.title,
        "panel_url": PANEL_URL,
        "assets_url": ASSETS_URL,
        "refresh_seconds": REFRESH_SECONDS,
        "key_required": key_required,
        "snapshot": None,
    }
    if not key_required:
        context.update(_panel_context(await _snapshot(request)))
    return _templates().TemplateResponse(request, "status.html", context)


@router.get(PANEL_URL, include_in_schema=False, response_class=HTMLResponse)
async def status_panel(request: Request) -> HTMLResponse:
    """The graph and the service cards as an HTML fragment, for the page to swap in."""
    context = _panel_context(await _snapshot(request))
    return _templates().TemplateResponse(
        request, "panel.html", context, headers={"Cache-Control": "no-store"}
    )
