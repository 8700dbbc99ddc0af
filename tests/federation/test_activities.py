"""The group's activities about posts: the two Announce forms, their Undo, and who they are addressed to."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from federation import activities
from federation.urls import AS_PUBLIC, Urls
from hub.models import Group, Post

URLS = Urls("https://hub.test")
GROUP = Group(slug="climate", name="Climate")


def _post(visibility: str) -> Post:
    return Post(id=5, uri="https://masto.test/notes/5", visibility=visibility, published_at=datetime(2026, 1, 2, tzinfo=UTC))


def test_announce_forms_and_their_undo():
    """Microblogs get Announce{id}, group-aware servers Announce{activity} unchanged without @context; Undo embeds the boost."""
    post = _post("public")
    boost = activities.announce_object(URLS, GROUP, post)
    assert (boost["object"], boost["published"], boost["cc"]) == (post.uri, "2026-01-02T00:00:00Z", [AS_PUBLIC])
    inner = {"@context": "x", "id": "https://masto.test/a/5", "type": "Create", "object": post.uri}
    wrapped = activities.announce_activity(URLS, GROUP, post, json.dumps(inner), "announce-create")
    assert wrapped["object"] == {k: v for k, v in inner.items() if k != "@context"}
    undo = activities.undo_announce(URLS, GROUP, post)
    assert undo["object"]["id"] == boost["id"] and "@context" not in undo["object"]


def test_members_only_posts_are_never_addressed_to_public():
    """The addressing of a members-only post names only the followers collection."""
    addressed = activities.addressing(URLS, GROUP, _post("members"))
    assert addressed == {"to": [URLS.group_followers("climate")], "cc": [], "audience": URLS.group("climate")}
