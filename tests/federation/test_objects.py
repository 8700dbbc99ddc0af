"""Tests for federation.objects: posted objects into PostDrafts."""

from __future__ import annotations

from pathlib import Path

import httpx

from federation.context import build_federation
from federation.objects import draft_from
from hub.models import Group
from tests.federation.harness import hub_settings

ACTOR = "https://remote.test/users/alice"


def _draft(tmp_path: Path, **fields):
    fed = build_federation(hub_settings("sqlite://unused", tmp_path), http_transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    obj = {"id": f"{ACTOR}/s/1", "type": "Note", "attributedTo": ACTOR, "content": "<p>x</p>", **fields}
    return draft_from({"id": f"{ACTOR}/a/1"}, obj, "{}", Group(slug="climate", name="Climate"), fed)


def test_only_http_links_are_kept_as_the_post_url(tmp_path: Path):
    """javascript:, data: and overlong URLs never become the post's link; Link objects give their href."""
    assert _draft(tmp_path, url="javascript:alert(1)").url is None
    assert _draft(tmp_path, url="data:text/html,<script>").url is None
    assert _draft(tmp_path, url="https://remote.test/" + "a" * 2000).url is None
    assert _draft(tmp_path, url=[{"type": "Link", "href": "javascript:x"}, {"type": "Link", "href": "https://remote.test/@a/1"}]).url == "https://remote.test/@a/1"
    assert _draft(tmp_path, url="https://remote.test/@a/1").url == "https://remote.test/@a/1"
