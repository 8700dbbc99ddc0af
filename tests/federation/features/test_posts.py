"""The posts feature: which posts are usable, which local groups a post is for, and its declaration."""

from __future__ import annotations

import pytest

from federation.features import posts
from federation.handling import ANY, Incoming
from hub.services import groups

ACTOR = "https://remote.test/users/alice"


def _incoming(obj: dict) -> Incoming:
    return Incoming({"id": f"{ACTOR}/a/1", "type": "Create", "actor": ACTOR, "object": obj}, ACTOR, obj, obj.get("id"))


def test_unusable_post_reasons():
    """A post needs an id, well-typed fields and at most MAX_MENTIONS mentions."""
    good = {"id": f"{ACTOR}/s/1", "type": "Note", "attributedTo": ACTOR, "content": "<p>x</p>"}
    assert posts.unusable_post(good, _incoming(good)) is None
    no_id = dict(good, id=None)
    assert "no id" in posts.unusable_post(no_id, _incoming(no_id)).reason
    typed = dict(good, content=42)
    assert "content" in posts.unusable_post(typed, _incoming(typed)).reason
    spam = dict(good, tag=[{"type": "Mention", "href": f"https://r.test/u{n}"} for n in range(51)])
    outcome = posts.unusable_post(spam, _incoming(spam))
    assert outcome.state == "ignored" and "51 accounts" in outcome.reason


@pytest.mark.db
async def test_target_groups_are_the_addressed_and_the_mentioned_by_handle(fed):
    """A post is for the local groups it addresses (to/cc/audience) or @-mentions by handle on this host; others are not."""
    climate = await groups.create_group("climate", "Climate")
    housing = await groups.create_group("housing", "Housing")
    await groups.create_group("quiet", "Quiet")
    note = {"id": f"{ACTOR}/s/2", "type": "Note", "to": [fed.urls.group("climate")],
            "tag": [{"type": "Mention", "name": "@housing@hub.test"}, {"type": "Mention", "name": "@quiet@elsewhere.test"}]}
    found = await posts.target_groups(fed, {"id": f"{ACTOR}/a/2", "type": "Create"}, note)
    assert sorted(g.id for g in found) == sorted([climate.id, housing.id])


def test_the_feature_owns_create_update_delete_and_the_post_events():
    """Posts own Create/Update/Delete of anything and the post events; a held post is the organisers' (they are told)."""
    assert set(posts.FEATURE.inbound) == {("Create", ANY), ("Update", ANY), ("Delete", ANY)}
    assert {"post.published", "post.updated", "post.deleted", "post.refused", "post.pinned"} <= set(posts.FEATURE.outbound)
    assert "post.held" not in posts.FEATURE.outbound and not posts.FEATURE.quiet
