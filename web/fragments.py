"""Rendered main parts of pages that many signed-in members share, kept until the hub's content changes.

A signed-in member's group page or thread page is never served from the anonymous page cache
(web.pagecache): its header names the member and its forms carry their CSRF token. But the page's
main part — the posts, pinned posts, member count, alerts, announcements and gatherings, and the
queries and templates behind them (~5 ms of CPU of a group page's ~6.5 ms) — is the same for every
member who reads it in the same language and time zone. :class:`FragmentCache` keeps that part,
rendered once with :data:`web.csrf.PLACEHOLDER` where a token goes, by (page, object, members' view,
language, time zone, the object's own ``updated_at``).

Freshness and one rendering at a time are web.freshcache's, as for the anonymous pages: a change this
process makes shows at the next request, one made by another process within :data:`SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable

from markupsafe import Markup
from starlette.requests import Request

from web import csrf
from web.freshcache import FreshCache

SECONDS = 1.0
"""How long a rendered part is used at most when no local change happened (changes of other processes)."""
SIZE = 256
"""Parts kept at most (least recently used dropped): a group page's part is 10–40 KB, so a few MB at most."""


class FragmentCache:
    """Rendered parts (with the CSRF placeholder) by key, in a :class:`~web.freshcache.FreshCache`."""

    def __init__(self, seconds: float = SECONDS, size: int = SIZE, clock: Callable[[], float] = time.monotonic) -> None:
        self.parts: FreshCache[str] = FreshCache(seconds, size, clock)

    async def get(self, request: Request, key: Hashable, render: Callable[[], Awaitable[str]]) -> Markup:
        """The part for this visitor (their CSRF token in place of the placeholder), rendered by ``render`` if not fresh.

        ``render`` must render with the placeholder: it runs with ``request.state.csrf_placeholder`` set.
        """

        async def with_placeholder() -> str:
            placeholder_before = getattr(request.state, "csrf_placeholder", False)
            request.state.csrf_placeholder = True
            try:
                return await render()
            finally:
                request.state.csrf_placeholder = placeholder_before

        html = await self.parts.get(key, with_placeholder)
        if csrf.PLACEHOLDER in html:
            html = html.replace(csrf.PLACEHOLDER, csrf.form_token(request))
        return Markup(html)
