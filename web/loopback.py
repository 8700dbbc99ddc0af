"""One address for a hub on loopback: other loopback names of the same port redirect to HUB_DOMAIN.

A hub started by ``make run`` is known as ``127.0.0.1:8000``; its pages link their stylesheet, script
and forms on that origin. A visitor who types ``localhost:8000`` would get a page whose stylesheet
and script the Content-Security-Policy (``'self'``) refuses and whose forms post to another origin,
without the session cookie ("the form expired"). So a GET or HEAD that names the hub by another
loopback name (``localhost``, ``*.localhost``, ``127.x.y.z``, ``[::1]``) with the same port is sent to
the same path on HUB_DOMAIN (307: not cached, so changing HUB_DOMAIN later never loops). Hubs known
by a public name are left alone; their proxy decides which names reach them.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.settings import Settings, is_loopback_domain, split_domain


class LoopbackAliases:
    """Middleware: redirect GET/HEAD requests naming the loopback hub by another loopback name to HUB_DOMAIN."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        port = split_domain(settings.domain)[1]
        self.active = is_loopback_domain(settings.domain)
        self.domain = settings.domain
        self.port = port or ("443" if settings.scheme == "https" else "80")
        self.base_url = settings.base_url

    def alias(self, host_header: str) -> bool:
        """Whether ``host_header`` is another loopback name for this hub (same port, not HUB_DOMAIN itself)."""
        if not host_header or host_header.lower() == self.domain:
            return False
        return is_loopback_domain(host_header) and (split_domain(host_header)[1] or "80") == self.port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect an aliased page request; pass everything else on."""
        if self.active and scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            if self.alias(Headers(scope=scope).get("host", "")):
                query = scope.get("query_string", b"").decode("latin-1")
                target = self.base_url + scope.get("raw_path", scope["path"].encode()).decode("latin-1")
                await RedirectResponse(target + (f"?{query}" if query else ""), status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)
