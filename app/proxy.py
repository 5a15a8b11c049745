"""Behind a reverse proxy: the host, scheme and client a trusted proxy forwards. uvicorn's
`ProxyHeadersMiddleware` leaves the host (so `Location` would name the instance) and drops the
proxy's address, by which the host is trusted: the app applies both, host first."""

import contextlib
import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class ForwardedHeadersMiddleware:
    """Apply a trusted proxy's `X-Forwarded-Host`, `-Proto` and `-For` (`APP_SERVER__*`). Trust
    follows uvicorn's rule: `*`, or addresses, networks and names (a unix socket path)."""

    app: ASGIApp
    state: State

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        proxied, trusts = self._trust
        forwarded = Headers(scope=scope).get("x-forwarded-host")
        client = scope.get("client")
        if forwarded and client is not None and trusts(client[0]):
            host = forwarded.split(",")[0].strip().encode("latin-1")
            headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
            scope = {**scope, "headers": [*headers, (b"host", host)]}
        await proxied(scope, receive, send)

    @functools.cached_property
    def _trust(self) -> tuple[ASGIApp, Callable[[str], bool]]:
        """The trust rule, read at the first request (the settings are final by then)."""
        server = self.state.container.settings().server
        allowed = server.forwarded_allow_ips if server.proxy_headers else ""
        names = {entry.strip() for entry in allowed.split(",")} - {""}
        networks = []
        for name in names:
            with contextlib.suppress(ValueError):  # `*` or a name: matched as it is
                networks.append(ipaddress.ip_network(name, strict=False))

        def trusts(peer: str) -> bool:
            if "*" in names or peer in names:
                return True
            with contextlib.suppress(ValueError):
                return any(ipaddress.ip_address(peer) in network for network in networks)
            return False

        if not names:
            return self.app, trusts
        # Loaded here: start-up loads no web server (a test server may be another one).
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware  # noqa: PLC0415

        # uvicorn types ASGI apps its own way; the protocol is the same.
        return cast("ASGIApp", ProxyHeadersMiddleware(cast("Any", self.app), allowed)), trusts
