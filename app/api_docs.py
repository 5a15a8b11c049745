"""Interactive API docs (`/docs`, `/redoc`) that work without internet.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN, so on a machine with no
route out they render blank. Here the same pages load the same assets from the
application, out of the pinned `fastapi-offline` package (see docs/decisions.md).
"""

from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL: Final = "/docs"
REDOC_URL: Final = "/redoc"
OAUTH2_REDIRECT_URL: Final = "/docs/oauth2-redirect"
ASSETS_URL: Final = "/docs-assets"

ASSETS_DIRECTORY: Final = files("fastapi_offline") / "static"
SWAGGER_UI_ASSETS: Final = {
    "swagger_js_url": "swagger-ui-bundle.js",
    "swagger_css_url": "swagger-ui.css",
    "swagger_favicon_url": "favicon.png",
}
REDOC_ASSETS: Final = {"redoc_js_url": "redoc.standalone.js", "redoc_favicon_url": "favicon.png"}
"""Each page's asset options, mapped to files of `ASSETS_DIRECTORY`."""

SAME_ORIGIN_ONLY: Final = {
    # The browser refuses anything from another host, such as the logo ReDoc's sidebar
    # loads from its vendor's CDN. Inline scripts and styles are the pages' own set-up.
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:"
}


def install_offline_docs(app: FastAPI) -> None:
    """Serve `/docs` and `/redoc` from bundled assets; build the app with `docs_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS_DIRECTORY)), name="docs-assets")

    def page(
        request: Request,
        render: Callable[..., HTMLResponse],
        name: str,
        assets: Mapping[str, str],
        **options: Any,
    ) -> HTMLResponse:
        """`render`'s page for this request, its `assets` from this app, same-origin only."""
        root = request.scope.get("root_path", "")
        urls = {option: f"{root}{ASSETS_URL}/{file}" for option, file in assets.items()}
        response = render(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - {name}",
            **urls,
            **options,
        )
        response.headers.update(SAME_ORIGIN_ONLY)
        return response

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return page(
            request,
            get_swagger_ui_html,
            "Swagger UI",
            SWAGGER_UI_ASSETS,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return page(request, get_redoc_html, "ReDoc", REDOC_ASSETS, with_google_fonts=False)
