"""Behind a reverse proxy: the host, scheme and client a trusted proxy forwards. uvicorn's
`ProxyHeadersMiddleware` leaves the host (so `Location` would name the instance) and drops the
proxy's address, by which the host is trusted: the app applies both, host first."""

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


@dataclass
class ForwardedHeadersMiddleware:
    """Apply a trusted proxy's `X-Forwarded-Host`, `-Proto` and `-For` (`APP_SERVER__*`), trusted
    by uvicorn's own rule: `*`, or addresses, networks and names (a unix socket path)."""

    app: ASGIApp
    state: State

    @functools.cached_property
    def _proxy(self) -> "ProxyHeadersMiddleware | None":
        """uvicorn's middleware around the app, None when proxy headers are off; made at the
        first request (the settings are final by then)."""
        server = self.state.container.settings().server
        if not server.proxy_headers:
            return None
        # Loaded here: start-up loads no web server (a test server may be another one).
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware  # noqa: PLC0415

        return ProxyHeadersMiddleware(cast("Any", self.app), server.forwarded_allow_ips)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxy = self._proxy if scope["type"] == "http" else None
        if proxy is None:
            await self.app(scope, receive, send)
            return
        forwarded = Headers(scope=scope).get("x-forwarded-host")
        client = scope.get("client")
        if forwarded and client is not None and client[0] in proxy.trusted_hosts:
            host = forwarded.split(",")[0].strip().encode("latin-1")
            headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
            scope = {**scope, "headers": [*headers, (b"host", host)]}
        await proxy(scope, receive, send)  # type: ignore[arg-type]  # uvicorn types ASGI its own way
