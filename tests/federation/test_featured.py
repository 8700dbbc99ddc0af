"""Pinning a post and editing the profile go out to members' servers (Add/Remove of featured, Update of the Group)."""

from __future__ import annotations

import json

import httpx
import pytest

from federation.context import build_federation
from federation.outbound import handle_event
from hub.clock import now
from hub.errors import Conflict
from hub.models import Account, Delivery, Event, Membership, Peer, Post, RemoteActor
from hub.services import groups, moderation, profiles
from hub.settings import load_settings

pytestmark = pytest.mark.db
SETTINGS = {"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}


async def _drain_events(fed) -> None:
    for event in await Event.filter(state="pending").order_by("id"):
        await handle_event(fed, event)


async def _group_with_member_and_post():
    group = await groups.create_group("climate", "Climate")
    peer = await Peer.create(host="masto.test", software="mastodon")
    account = await Account.create(uri="https://masto.test/users/ana", handle="ana@masto.test")
    await RemoteActor.create(account=account, peer=peer, uri=account.uri, actor_type="Person",
                             inbox="https://masto.test/users/ana/inbox", shared_inbox="https://masto.test/inbox", fetched_at=now())
    await Membership.create(group=group, account=account, state="accepted")
    post = await Post.create(group=group, author=account, uri="https://masto.test/notes/1", object_type="Note",
                             thread_uri="https://masto.test/notes/1", visibility="public", state="published",
                             published_at=now(), activity_json="{}")
    return group, post


async def test_pin_and_unpin_send_add_and_remove_of_featured(db):
    """Pinning sends Add{post, target featured} to the member's shared inbox; unpinning sends Remove."""
    fed = build_federation(load_settings(SETTINGS), http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    group, post = await _group_with_member_and_post()
    await _drain_events(fed)
    await Delivery.all().delete()

    await moderation.pin_post(post, True)
    await _drain_events(fed)
    add = [json.loads(d.body) for d in await Delivery.all()]
    assert [(a["type"], a["object"], a["target"]) for a in add] == [("Add", post.uri, "https://hub.test/groups/climate/featured")]
    assert (await Delivery.first()).inbox == "https://masto.test/inbox"

    await moderation.pin_post(post, False)
    await _drain_events(fed)
    kinds = sorted(json.loads(d.body)["type"] for d in await Delivery.all())
    assert kinds == ["Add", "Remove"]
    await fed.close()


async def test_only_published_public_posts_can_be_pinned(db):
    """A held post cannot be pinned."""
    group, post = await _group_with_member_and_post()
    post.state = "held"
    await post.save()
    with pytest.raises(Conflict):
        await moderation.pin_post(post, True)


async def test_profile_edit_sends_update_of_the_group(db):
    """Editing the profile sends an Update whose object is the Group actor with the new name."""
    fed = build_federation(load_settings(SETTINGS), http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    group, _post = await _group_with_member_and_post()
    await _drain_events(fed)
    await Delivery.all().delete()
    await profiles.update_profile(group, name="Climate Justice", summary="New summary", rules="", join_policy="open", posting_mode="members", by=None)
    await _drain_events(fed)
    bodies = [json.loads(d.body) for d in await Delivery.all()]
    assert [(b["type"], b["object"]["type"], b["object"]["name"]) for b in bodies] == [("Update", "Group", "Climate Justice")]
    await fed.close()
