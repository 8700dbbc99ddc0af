"""What the page caches share: values kept for a second and until this process changes content, each
rendered once for the requests that want it together.

A value is fresh for ``seconds`` (changes made by other processes — ``hub worker``, the CLI — show
within that) and until a change made here (every domain change records an event: :mod:`hub.changes`
topic ``content``, which other processes' notifications count too: hub.broadcast). At most ``size``
values are kept, the least recently used dropped.

One rendering at a time per key: when a value expires under load, every request in flight would
otherwise render it at once (at concurrency 8, eight renderings of ~8 ms each: the tail of the pages'
latency in bench.group_page). Requests that find the same key being rendered at the same count of
local changes share that rendering, or, when the value only aged, get the copy being replaced
meanwhile. After a local change no request gets the older copy. A rendering that fails is its own
request's error: the requests that waited for it render for themselves.

Used by web.pagecache (anonymous visitors' pages) and web.fragments (the main part of signed-in
members' pages).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub import changes

V = TypeVar("V")


@dataclass(frozen=True)
class _Kept(Generic[V]):
    value: V
    rendered_at: float
    generation: int


@dataclass(frozen=True)
class _Rendering:
    """A rendering in progress: the count of local changes it started at, and its outcome (None if it failed)."""

    generation: int
    outcome: asyncio.Future


class FreshCache(Generic[V]):
    """Values by key, fresh for ``seconds`` and until this process changes content, rendered once per key at a time."""

    def __init__(self, seconds: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._kept: OrderedDict[Hashable, _Kept[V]] = OrderedDict()
        self._rendering: dict[Hashable, _Rendering] = {}

    def fresh(self, key: Hashable) -> V | None:
        """The value if it is younger than ``seconds`` and no local change happened since it was rendered."""
        kept = self._kept.get(key)
        if kept is None or self.clock() - kept.rendered_at >= self.seconds or kept.generation != changes.count("content"):
            return None
        self._kept.move_to_end(key)
        return kept.value

    def keep(self, key: Hashable, value: V, generation: int) -> None:
        """Remember a value rendered when the count of local changes was ``generation``."""
        self._kept[key] = _Kept(value, self.clock(), generation)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    async def get(self, key: Hashable, render: Callable[[], Awaitable[V]],
                  keep_if: Callable[[V], bool] = lambda value: True) -> V:
        """The fresh value, else one rendering shared with the requests that want it now (see the module's text);
        a rendered value is kept when ``keep_if`` says so."""
        value = self.fresh(key)
        if value is not None:
            return value
        generation = changes.count("content")
        pending = self._rendering.get(key)
        if pending is not None and pending.generation == generation:
            previous = self._kept.get(key)
            if previous is not None and previous.generation == generation:
                return previous.value
            shared = await asyncio.shield(pending.outcome)
            if shared is not None:
                return shared
        mine = _Rendering(generation, asyncio.get_running_loop().create_future())
        self._rendering[key] = mine
        value = None
        try:
            value = await render()
        finally:
            mine.outcome.set_result(value)  # None when it failed: the requests waiting render for themselves
            if self._rendering.get(key) is mine:
                del self._rendering[key]
        if keep_if(value):
            self.keep(key, value, generation)
        return value
