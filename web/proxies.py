"""The client's address behind reverse proxies (HUB_TRUSTED_PROXIES), and nothing else's word for it.

Without the setting, forwarding headers are ignored: the client is the TCP peer. With it, and only
when the TCP peer is inside one of the trusted networks, the client is the rightmost address of
``X-Forwarded-For`` that is not itself a trusted proxy — the last hop a trusted proxy saw, which a
client cannot forge by sending its own header (nginx's ``$proxy_add_x_forwarded_for`` appends the
peer to whatever the client sent). If every hop is trusted, the leftmost one is the client; a hop
that is not an IP address ends the walk and the request keeps its peer address.

:class:`ClientAddressMiddleware` rewrites the ASGI scope's ``client`` in place, so everything after
it — the sign-in limits, /metrics' private-address rule, uvicorn's access log — sees that address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An IP address from a forwarding-header hop (``1.2.3.4``, ``1.2.3.4:567``, ``[::1]:80``, ``::1``), or None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


class TrustedProxies:
    """The networks whose forwarding headers count."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The client address for a request from ``peer`` carrying these ``X-Forwarded-For`` header values."""
        if not self.trusts(parse_address(peer)):
            return peer
        hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
        client = peer
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                return client
            client = str(address)
            if not self.trusts(address):
                return client
        return client


class ClientAddressMiddleware:
    """Outermost middleware: replaces ``scope["client"]`` by the forwarded client when the peer is a trusted proxy."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the client of HTTP requests from trusted proxies, then pass the request on."""
        if scope["type"] == "http" and scope.get("client"):
            peer = scope["client"][0]
            forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
            client = self.proxies.client(peer, forwarded)
            if client != peer:
                scope["client"] = (client, 0)
        await self.app(scope, receive, send)
