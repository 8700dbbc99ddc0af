"""Rendered main parts of pages that many signed-in members share, kept until the hub's content changes.

A signed-in member's group page or thread page is never served from the anonymous page cache
(web.pagecache): its header names the member and its forms carry their CSRF token. But the page's
main part — the posts, pinned posts, member count, alerts, announcements and gatherings, and the
queries and templates behind them (~5 ms of CPU of a group page's ~6.5 ms) — is the same for every
member who reads it in the same language and time zone. :class:`FragmentCache` keeps that part,
rendered once with :data:`web.csrf.PLACEHOLDER` where a token goes, by (page, object, members' view,
language, time zone, the object's own ``updated_at``).

Freshness is the page cache's: a change this process makes (every domain change records an event:
:mod:`hub.changes` topic ``content``) makes the next request render afresh; a change made by another
process (``hub worker``, the CLI) shows within :data:`SECONDS`.

One rendering at a time per part: when a part expires under load, every request in flight would
otherwise render it at once (at concurrency 8, eight renderings of ~9 ms each, the tail of the
signed-in pages' latency in bench.group_page). Requests that find the same part being rendered at
the same count of local changes share that rendering, or, when the part only aged, get the copy
being replaced meanwhile (as web.pagecache does for anonymous pages).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request

from hub import changes
from web import csrf

SECONDS = 1.0
"""How long a rendered part is used at most when no local change happened (changes of other processes)."""
SIZE = 256
"""Parts kept at most (least recently used dropped): a group page's part is 10–40 KB, so a few MB at most."""


@dataclass(frozen=True)
class Fragment:
    """A rendered part (with the CSRF placeholder), when and at which count of local changes."""

    html: str
    rendered_at: float
    generation: int


@dataclass(frozen=True)
class _Rendering:
    """A rendering in progress: the count of local changes it started at, and its outcome (None if it failed)."""

    generation: int
    outcome: asyncio.Future


class FragmentCache:
    """Rendered parts by key, fresh for ``seconds`` and until this process changes content."""

    def __init__(self, seconds: float = SECONDS, size: int = SIZE, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._parts: OrderedDict[Hashable, Fragment] = OrderedDict()
        self._rendering: dict[Hashable, _Rendering] = {}

    def fresh(self, key: Hashable) -> str | None:
        """The part if it is younger than ``seconds`` and no local change happened since it was rendered."""
        part = self._parts.get(key)
        if part is None or self.clock() - part.rendered_at >= self.seconds or part.generation != changes.count("content"):
            return None
        self._parts.move_to_end(key)
        return part.html

    def keep(self, key: Hashable, html: str, generation: int) -> None:
        """Remember a part rendered when the count of local changes was ``generation``."""
        self._parts[key] = Fragment(html, self.clock(), generation)
        self._parts.move_to_end(key)
        while len(self._parts) > self.size:
            self._parts.popitem(last=False)

    async def get(self, request: Request, key: Hashable, render: Callable[[], Awaitable[str]]) -> Markup:
        """The part for this visitor (their CSRF token in place of the placeholder), rendered by ``render`` if not fresh.

        ``render`` must render with the placeholder: it runs with ``request.state.csrf_placeholder`` set.
        """
        html = self.fresh(key)
        if html is None:
            html = await self._shared(request, key, render)
        if csrf.PLACEHOLDER in html:
            html = html.replace(csrf.PLACEHOLDER, csrf.form_token(request))
        return Markup(html)

    async def _shared(self, request: Request, key: Hashable, render: Callable[[], Awaitable[str]]) -> str:
        """The part rendered once for every request that wants it now (see the module's text)."""
        generation = changes.count("content")
        pending = self._rendering.get(key)
        if pending is not None and pending.generation == generation:
            previous = self._parts.get(key)
            if previous is not None and previous.generation == generation:
                return previous.html
            shared = await asyncio.shield(pending.outcome)
            if shared is not None:
                return shared
        mine = _Rendering(generation, asyncio.get_running_loop().create_future())
        self._rendering[key] = mine
        html = None
        try:
            html = await self._render(request, render)
        finally:
            mine.outcome.set_result(html)  # None when it failed: the requests waiting render for themselves
            if self._rendering.get(key) is mine:
                del self._rendering[key]
        self.keep(key, html, generation)
        return html

    @staticmethod
    async def _render(request: Request, render: Callable[[], Awaitable[str]]) -> str:
        placeholder_before = getattr(request.state, "csrf_placeholder", False)
        request.state.csrf_placeholder = True
        try:
            return await render()
        finally:
            request.state.csrf_placeholder = placeholder_before
