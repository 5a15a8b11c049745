"""Behind a reverse proxy: the host clients asked for, from a trusted proxy's `X-Forwarded-Host`.

uvicorn already takes the scheme (`X-Forwarded-Proto`) and the client address
(`X-Forwarded-For`) from the proxies in `forwarded_allow_ips`; it leaves the host alone, so
`Location` would name the instance (`http://10.0.3.7:8000/…`) unless the proxy passes the
public `Host` itself. This middleware completes it with the same trust rule.
"""

import ipaddress
from typing import Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

_FORWARDED_HOST: Final = b"x-forwarded-host"
_HOST: Final = b"host"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """Peers whose forwarded headers count: `*`, or addresses and networks, comma-separated."""

    def __init__(self, allowed: str) -> None:
        entries = [entry.strip() for entry in allowed.split(",") if entry.strip()]
        self.everyone = "*" in entries
        self.networks: list[Network] = []
        self.names: set[str] = set()  # a unix socket path, or a name uvicorn reports as is
        for entry in entries:
            if entry == "*":
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry)

    def __contains__(self, peer: str | None) -> bool:
        if peer is None:
            return False
        if self.everyone or peer in self.names:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


class ForwardedHostMiddleware:
    """Use the first `X-Forwarded-Host` as the request's host when a trusted proxy sent it.

    The trust settings are read from `state.container` at the first request, so building
    the app reads no settings.
    """

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self._trusted: TrustedProxies | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: take the forwarded host from a trusted proxy only."""
        if scope["type"] == "http":
            # Most requests carry no forwarded host: look for it before weighing trust.
            forwarded = _forwarded_host(scope)
            client = scope.get("client")
            if forwarded and client is not None and client[0] in self._trusted_proxies():
                headers = [(name, value) for name, value in scope["headers"] if name != _HOST]
                scope = {**scope, "headers": [*headers, (_HOST, forwarded)]}
        await self.app(scope, receive, send)

    def _trusted_proxies(self) -> TrustedProxies:
        if self._trusted is None:
            server = self.state.container.settings().server
            allowed = server.forwarded_allow_ips if server.proxy_headers else ""
            self._trusted = TrustedProxies(allowed)
        return self._trusted


def _forwarded_host(scope: Scope) -> bytes | None:
    """The host the client asked for: the first of a proxy chain's `X-Forwarded-Host`."""
    value: bytes
    for name, value in scope["headers"]:
        if name == _FORWARDED_HOST:
            return value.split(b",")[0].strip()
    return None
