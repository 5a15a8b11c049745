"""Behind a reverse proxy: the host clients asked for, from a trusted proxy's `X-Forwarded-Host`.

uvicorn takes the scheme and the client address from the proxies in `forwarded_allow_ips` but
leaves the host, so `Location` would name the instance. This completes it with uvicorn's trust
rule: `*`, or addresses, networks and names (a unix socket path), comma-separated.
"""

import contextlib
import ipaddress

from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ForwardedHostMiddleware:
    """Use the first `X-Forwarded-Host` as the request's host when a trusted proxy sent it."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self._trusted: tuple[set[str], list[Network]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: take the forwarded host from a trusted proxy only."""
        if scope["type"] == "http":
            forwarded = Headers(scope=scope).get("x-forwarded-host")
            client = scope.get("client")
            if forwarded and client is not None and self._trusts(client[0]):
                host = forwarded.split(",")[0].strip().encode("latin-1")
                headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
                scope = {**scope, "headers": [*headers, (b"host", host)]}
        await self.app(scope, receive, send)

    def _trusts(self, peer: str) -> bool:
        if self._trusted is None:  # the settings, read at the first request that needs them
            server = self.state.container.settings().server
            allowed = server.forwarded_allow_ips if server.proxy_headers else ""
            names = {entry.strip() for entry in allowed.split(",")} - {""}
            networks = []
            for name in names:
                with contextlib.suppress(ValueError):  # `*` or a name: matched as it is
                    networks.append(ipaddress.ip_network(name, strict=False))
            self._trusted = (names, networks)
        names, networks = self._trusted
        if "*" in names or peer in names:
            return True
        with contextlib.suppress(ValueError):
            address = ipaddress.ip_address(peer)
            return any(address in network for network in networks)
        return False
