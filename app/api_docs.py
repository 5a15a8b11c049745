"""`/docs` and `/redoc` without internet (FastAPI's load their assets from a CDN): bundled
assets, and a policy that lets the pages load nothing from another host (ReDoc's logo)."""

from dataclasses import dataclass
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS_URL: Final = "/docs-assets"
DOC_PAGES: Final = frozenset({"/docs", "/redoc"})
SAME_ORIGIN_ONLY: Final = (
    # Inline scripts and styles are the pages' own set-up.
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:"
)


@dataclass
class SameOriginDocsMiddleware:
    """Adds a `Content-Security-Policy` allowing only this origin to the docs pages."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in DOC_PAGES:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Security-Policy"] = SAME_ORIGIN_ONLY
            await send(message)

        await self.app(scope, receive, send_with_policy)
