"""A one-second cache of public pages for visitors who are not signed in (microcaching).

Rendering a group page costs ~15 ms of CPU (its queries and templates); a popular group linked from
many timelines gets the same anonymous page requested many times a second. :func:`cached_page`
serves such requests from memory: the page is rendered once per :data:`SECONDS` and language, with a
placeholder where the visitor's CSRF token goes, and each visitor gets their own token put in.

What is never cached: signed-in visitors, visitors with a notice waiting (flash), ActivityPub
requests, other methods than GET, and any status but 200. Nothing else of the request reaches a
page: links are built on the hub's own base URL, not the Host header (web.templating). A change this
process makes (every domain change records an event: :mod:`hub.changes` topic ``content``) makes the
next request render afresh; a change made by another process (``hub worker``, the CLI) shows within
:data:`SECONDS`. One request renders an expired page while the others get the previous copy, or
wait for it after a local change (web.freshcache).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from federation.responses import wants_activity_json
from web import csrf
from web.freshcache import FreshCache
from web.i18n import language_of
from web.rendering import FLASH_KEY
from web.sessions import SESSION_KEY

SECONDS = 1.0
"""How long a rendered page is served to anonymous visitors at most."""
SIZE = 256
"""Pages kept at most (least recently used dropped): query strings vary the key, memory stays bounded."""
_DROPPED_HEADERS = frozenset({b"content-length", b"set-cookie"})

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Page:
    """A rendered page: status, body with the CSRF placeholder, headers but length and cookies."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]

    def response_for(self, request: Request) -> Response:
        """The page for this visitor: their CSRF token in place of the placeholder (made on first visit)."""
        token = csrf.csrf_token(request).encode()
        response = Response(self.body.replace(csrf.PLACEHOLDER.encode(), token), status_code=self.status)
        response.raw_headers = [h for h in response.raw_headers if h[0] == b"content-length"] + list(self.headers)
        return response


class PageCache:
    """Rendered pages by (path, query, language), in a :class:`~web.freshcache.FreshCache`; only 200s are kept."""

    def __init__(self, seconds: float = SECONDS, size: int = SIZE, clock: Callable[[], float] = time.monotonic) -> None:
        self.pages: FreshCache[Page] = FreshCache(seconds, size, clock)

    def fresh(self, key: tuple[str, str, str]) -> Page | None:
        """The page if it is younger than ``seconds`` and no local change happened since."""
        return self.pages.fresh(key)

    async def get(self, key: tuple[str, str, str], render: Callable[[], Awaitable[Response]]) -> Page:
        """The fresh page, or the previous copy while another request renders it, or a new rendering."""

        async def rendered() -> Page:
            response = await render()
            headers = tuple((name, value) for name, value in response.raw_headers if name not in _DROPPED_HEADERS)
            return Page(response.status_code, bytes(response.body), headers)

        return await self.pages.get(key, rendered, keep_if=lambda page: page.status == 200)


def cache_key(request: Request) -> tuple[str, str, str] | None:
    """(path, query, language) when the request may be served from the cache, else None."""
    if request.method != "GET" or "session" not in request.scope or wants_activity_json(request):
        return None
    session = request.session
    if session.get(SESSION_KEY) is not None or session.get(FLASH_KEY):
        return None
    return request.url.path, request.scope.get("query_string", b"").decode("latin-1"), language_of(request)


def cached_page(endpoint: Endpoint) -> Endpoint:
    """Serve ``endpoint``'s HTML to anonymous visitors from the app's :class:`PageCache` (``app.state.page_cache``)."""

    @wraps(endpoint)
    async def serve(request: Request) -> Response:
        key = cache_key(request)
        if key is None:
            return await endpoint(request)

        async def render() -> Response:
            request.state.csrf_placeholder = True  # web.csrf.form_token
            return await endpoint(request)

        page = await request.app.state.page_cache.get(key, render)
        return page.response_for(request)

    return serve
