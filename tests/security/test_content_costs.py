"""Hostile content costs (issue 21 item 1): markup that is slow to parse never runs on the event loop.

Structural checks rather than timings (bench/stall.py measures the stall): the linear pre-scan refuses
deep nesting before nh3 sees it, posts are sanitised in a worker thread, once per object, and only
after the author is known to be a member.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from federation import objects, sanitize
from federation.sanitize import MAX_ELEMENTS, MAX_NESTING, plain_text, prescan, sanitize_html
from hub.models import Post
from tests.security.hostile import SLUG, scene

pytestmark = pytest.mark.db

NESTED_LISTS = "<ul><li>" * 20_000 + "deep" + "</li></ul>" * 20_000
"""About 300 KB of nested list tags: froze the hub for about 20 s when sanitised on the loop."""


@pytest.fixture
def nh3_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each nh3.clean call, whether it ran on the main (event loop) thread."""
    calls: list[bool] = []
    real = sanitize.nh3.clean

    def spy(html, *args, **kwargs):
        if "<b>x</b>" in html or "<li>" in html or "<ul>" in html or "<ol>" in html:  # the hostile texts below
            calls.append(threading.current_thread() is threading.main_thread())
        return real(html, *args, **kwargs)

    def unused(*args, **kwargs):
        return real(*args, **kwargs)

    monkeypatch.setattr(sanitize.nh3, "clean", spy)
    return calls


def test_prescan_refuses_deep_nesting_and_too_many_tags() -> None:
    """The pre-scan reports depth and element counts; past either limit the markup is not acceptable."""
    assert prescan("<p>a<p>b<br><ul><li>x</li></ul>").acceptable
    assert not prescan("<ul>" * (MAX_NESTING + 1)).acceptable
    assert not prescan("<b>x</b>" * (MAX_ELEMENTS + 1)).acceptable
    assert prescan("<ul>" * MAX_NESTING + "</ul>" * MAX_NESTING).depth == MAX_NESTING


def test_deeply_nested_markup_is_flattened_without_parsing(nh3_calls: list[bool]) -> None:
    """Nested list tags never reach nh3: the text survives, escaped, the markup does not."""
    out = sanitize_html("<ul><li>" * 5_000 + "deep<script>alert(1)</script>" + "</li></ul>" * 5_000)
    assert sanitize_html(NESTED_LISTS) == "" and nh3_calls == []
    assert nh3_calls == []
    assert out.startswith("<p>deep") and "<script" not in out and "<ul>" not in out
    assert plain_text("<ol>" * 5000 + "Display <name>") == "Display" and nh3_calls == []


async def test_a_display_name_of_nested_markup_is_not_parsed(nh3_calls: list[bool], database_url: str, tmp_path: Path) -> None:
    """An actor whose name is nested markup costs a linear scan when its key is fetched, not a parse."""
    async with scene(database_url, tmp_path) as s:
        nh3_calls.clear()
        eve = s.fresh("eve", name="<ul><li>" * 10_000 + "Eve")
        await s.hub.member(eve, SLUG)
        assert nh3_calls == []


async def test_posts_are_sanitised_off_the_loop_once_and_only_for_members(
    nh3_calls: list[bool], monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    """A member's post to two groups is sanitised once, in a worker thread; a non-member's not at all."""
    cleaned: list[str] = []
    real = objects.clean_object

    async def counting(obj: dict):
        cleaned.append(obj["id"])
        return await real(obj)

    monkeypatch.setattr("federation.features.posts.clean_object", counting)
    async with scene(database_url, tmp_path) as s:
        await s.hub.group("second")
        await s.hub.member(s.alice, "second")
        await s.hub.drain()
        nh3_calls.clear()
        cleaned.clear()
        # Given a member's post addressed to both groups, with heavy but acceptable markup
        note = s.note(s.alice, content="<p><b>x</b></p>" * 2000, cc=[s.group_id, s.hub.group_id("second")])
        assert (await s.post(s.create(s.alice, note), s.alice)).status_code == 202
        # And a non-member's post of nested lists
        hostile = s.note(s.mallory, content=NESTED_LISTS[:200_000])
        assert (await s.post(s.create(s.mallory, hostile), s.mallory)).status_code == 202
        await s.hub.drain()
        # Then the member's post was stored in both groups, sanitised once, never on the loop thread
        assert await Post.filter(uri=note["id"]).count() == 2
        assert cleaned == [note["id"]]
        stored = await Post.filter(uri=note["id"]).first()
        assert nh3_calls and not any(nh3_calls), stored.content_html[:200]
        assert not await Post.filter(uri=hostile["id"]).exists()
