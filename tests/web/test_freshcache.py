"""Tests for web.freshcache: kept values age out and go stale on a local change; one rendering per key at a time;
only what ``keep_if`` accepts is kept (the page caches' shared mechanism, also tested through them in
test_pagecache.py and test_fragments.py)."""

from __future__ import annotations

import asyncio

from hub import changes
from web.freshcache import FreshCache


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_after_a_local_change_requests_wait_for_the_new_rendering_not_the_old_copy() -> None:
    """A value kept, then a change made here: the request that renders it again and one arriving meanwhile both get
    the new value, and it is rendered once."""
    cache: FreshCache[str] = FreshCache(1.0, 8, Clock())
    gate, calls = asyncio.Event(), []

    async def render() -> str:
        calls.append(1)
        await gate.wait()
        return f"v{len(calls)}"

    gate.set()
    assert await cache.get("k", render) == "v1"
    changes.note("content")
    gate.clear()
    first = asyncio.create_task(cache.get("k", render))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get("k", render))
    await asyncio.sleep(0)
    gate.set()
    assert (await first, await second) == ("v2", "v2") and len(calls) == 2


async def test_only_accepted_values_are_kept_and_the_least_recently_used_go_first() -> None:
    """keep_if refuses a value: rendered again next time; with room for two, the third key drops the oldest."""
    cache: FreshCache[str] = FreshCache(1.0, 2, Clock())
    rendered: list[str] = []

    def renderer(value: str):
        async def render() -> str:
            rendered.append(value)
            return value
        return render

    for _ in range(2):
        assert await cache.get("missing", renderer("404"), keep_if=lambda value: value != "404") == "404"
    assert rendered == ["404", "404"] and cache.fresh("missing") is None
    for key in ("a", "b", "c"):
        await cache.get(key, renderer(key))
    assert cache.fresh("a") is None and cache.fresh("b") == "b" and cache.fresh("c") == "c"
