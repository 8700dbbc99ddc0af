"""Tests for federation.objects: posted objects into PostDrafts."""

from __future__ import annotations

from pathlib import Path

import httpx

from federation.context import build_federation
from federation.objects import CleanText, clean_object, draft_from
from hub.models import Group
from tests.federation.harness import hub_settings

ACTOR = "https://remote.test/users/alice"


def _draft(tmp_path: Path, **fields):
    fed = build_federation(hub_settings("sqlite://unused", tmp_path), http_transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    obj = {"id": f"{ACTOR}/s/1", "type": "Note", "attributedTo": ACTOR, "content": "<p>x</p>", **fields}
    cleaned = CleanText("<p>x</p>", None, None, None)
    return draft_from({"id": f"{ACTOR}/a/1"}, obj, "{}", Group(slug="climate", name="Climate"), fed, cleaned)


def test_only_http_links_are_kept_as_the_post_url(tmp_path: Path):
    """javascript:, data: and overlong URLs never become the post's link; Link objects give their href."""
    assert _draft(tmp_path, url="javascript:alert(1)").url is None
    assert _draft(tmp_path, url="data:text/html,<script>").url is None
    assert _draft(tmp_path, url="https://remote.test/" + "a" * 2000).url is None
    assert _draft(tmp_path, url=[{"type": "Link", "href": "javascript:x"}, {"type": "Link", "href": "https://remote.test/@a/1"}]).url == "https://remote.test/@a/1"
    assert _draft(tmp_path, url="https://remote.test/@a/1").url == "https://remote.test/@a/1"


async def test_clean_object_sanitises_content_title_and_summary_once() -> None:
    """clean_object returns the sanitised content, plain-text title and summary, and the content language."""
    cleaned = await clean_object({"contentMap": {"en": "<p>hi<script>x</script></p>"}, "name": "<b>Title</b>", "summary": "<i>cw</i>"})
    assert cleaned == CleanText("<p>hi</p>", "Title", "cw", "en")
