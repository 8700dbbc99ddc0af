"""The spaces feature: what flows into a shared space, who may moderate it, and partners that leave."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from federation.features import spaces as spaces_feature
from federation.features.collaboration import start_collaboration
from federation.handling import Incoming
from federation.local_groups import local_group_account
from federation.registry import REGISTRY
from hub.clock import now
from hub.models import Account, Collaboration, CollaborationModerator, Event, Group, GroupFollow, Invite, Post
from hub.services import calls, campaigns, collaborations, groups, moderation, posts
from hub.services.members import request_join
from hub.services.posts import PostDraft
from tests.federation.conftest import drain_events, remote_account

pytestmark = pytest.mark.db


async def _space(fed) -> tuple[Collaboration, Group, Account]:
    """A space hosted by ``lisbon`` with a remote partner ``berlin``; (collaboration, space group, berlin)."""
    host = await groups.create_group("lisbon", "Lisbon")
    collab = await start_collaboration(fed, host, "Housing Alliance", hashtag="#HousingAlliance")
    berlin = await remote_account("berlin", host="berlin.test", software="causeway")
    await collaborations.add_partner(collab, berlin)
    await spaces_feature.follow_partner(fed, collab, berlin)
    return collab, await collab.group, berlin


async def _shared_post(group: Group, source: Account, author: Account, uri: str) -> Post:
    draft = PostDraft(uri=uri, activity_uri=None, object_type="Note", content_html="<p>#housingalliance</p>",
                      visibility="public", published_at=now(), activity_json="{}")
    published = await posts.relay(group, source, author, draft)
    return published.post


async def test_shared_tags_reads_hashtags_and_addressed_local_groups(fed):
    """Hashtags from tags and text, and the slugs of local groups in to/cc/audience or mentions (remote ones left out)."""
    obj = {"content": "<p>Strike! #RentStrike</p>", "tag": [{"type": "Hashtag", "name": "#HousingAlliance"},
                                                            {"type": "Mention", "href": fed.urls.group("space")}],
           "to": [fed.urls.group("lisbon"), "https://elsewhere.test/groups/x"]}
    tags, slugs = await spaces_feature.shared_tags(fed, {}, obj)
    assert set(tags) == {"rentstrike", "housingalliance"} and slugs == {"space", "lisbon"}
    stored = Post(activity_json=json.dumps({"type": "Create", "object": obj}))
    assert await spaces_feature.stored_tags(fed, stored) == (tags, slugs)
    assert await spaces_feature.stored_tags(fed, Post(activity_json="not json")) == ([], set())


async def test_the_space_follows_each_partner_for_its_hashtag_and_refuses_strangers(fed, caplog):
    """The space follows berlin filtered by its hashtag; a non-partner, a banned author or an ended space is refused and logged."""
    collab, space, berlin = await _space(fed)
    follow = await GroupFollow.get(group=space, target=berlin)
    assert (follow.relay, follow.hashtag, collab.hashtag) == (True, "housingalliance", "housingalliance")
    author = await remote_account("ana", host="berlin.test")
    stranger = await remote_account("paris", host="paris.test")
    assert await spaces_feature.refusal(fed, space, berlin, author) is None
    with caplog.at_level(logging.WARNING, logger="causeway.spaces"):
        assert "not a partner" in await spaces_feature.refusal(fed, space, stranger, author)
        collab.ends_at = now() - timedelta(days=1)
        await collab.save()
        assert "ended" in await spaces_feature.refusal(fed, space, berlin, author)
    assert "refused a post shared by https://paris.test/users/paris" in caplog.text


async def test_removal_needs_a_partner_and_a_moderator_it_named(fed, caplog):
    """A Remove of a space's post is refused from a non-partner and for an unnamed moderator, applied for a named one."""
    _collab, space, berlin = await _space(fed)
    author = await remote_account("ana", host="berlin.test")
    moderator = await remote_account("mod", host="berlin.test")
    post = await _shared_post(space, berlin, author, "https://berlin.test/notes/1")

    def remove(actor: str) -> Incoming:
        activity = {"id": f"{actor}#remove", "type": "Remove", "actor": actor, "object": post.uri,
                    "target": fed.urls.group(space.slug), "attributedTo": moderator.uri}
        return Incoming(activity=activity, actor=actor, obj=None, object_id=post.uri)

    stranger = await remote_account("mallory", host="evil.test")
    with caplog.at_level(logging.WARNING, logger="causeway.spaces"):
        assert (await spaces_feature.on_remove(fed, remove(stranger.uri))).state == "ignored"
        assert (await spaces_feature.on_remove(fed, remove(berlin.uri))).state == "ignored"
    assert "claims to moderate" in caplog.text and "is not a moderator" in caplog.text
    await post.refresh_from_db()
    assert post.state == "published"

    add = {"id": "https://berlin.test/add/1", "type": "Add", "actor": berlin.uri, "object": moderator.uri,
           "target": f"{fed.urls.group(space.slug)}/moderators"}
    assert (await spaces_feature.on_add_moderator(fed, Incoming(add, berlin.uri, None, moderator.uri))).state == "done"
    assert (await spaces_feature.on_remove(fed, remove(berlin.uri))).state == "done"
    await post.refresh_from_db()
    assert post.state == "removed"
    elsewhere = {**add, "target": "https://elsewhere.test/groups/x/moderators"}
    assert await spaces_feature.on_add_moderator(fed, Incoming(elsewhere, berlin.uri, None, moderator.uri)) is None


async def test_a_named_moderator_bans_from_the_space(fed):
    """A Block by a partner naming its moderator bans the account from the space; a partner itself cannot be banned."""
    _collab, space, berlin = await _space(fed)
    moderator = await remote_account("mod", host="berlin.test")
    spammer = await remote_account("spam", host="spam.test")
    await CollaborationModerator.create(space=await local_group_account(fed, space), partner=berlin, moderator=moderator)

    def block(target: str) -> Incoming:
        activity = {"id": f"{target}#b", "type": "Block", "actor": berlin.uri, "object": target,
                    "target": fed.urls.group(space.slug), "attributedTo": moderator.uri}
        return Incoming(activity, berlin.uri, None, target)

    assert (await spaces_feature.on_block(fed, block(spammer.uri))).state == "done"
    assert "banned" in (await spaces_feature.refusal(fed, space, berlin, spammer))
    assert (await spaces_feature.on_block(fed, block(berlin.uri))).state == "ignored"


async def test_a_partner_that_leaves_stops_at_once(fed):
    """Undo of a partner's Follow of the space: it leaves, the space unfollows it, its moderators lapse, its shares are refused."""
    _collab, space, berlin = await _space(fed)
    moderator = await remote_account("mod", host="berlin.test")
    space_account = await local_group_account(fed, space)
    await CollaborationModerator.create(space=space_account, partner=berlin, moderator=moderator)
    undo = {"id": "https://berlin.test/undo/1", "type": "Undo", "actor": berlin.uri,
            "object": {"type": "Follow", "actor": berlin.uri, "object": space_account.uri}}
    outcome = await spaces_feature.on_undo_follow(fed, Incoming(undo, berlin.uri, undo["object"], None))
    assert outcome.state == "done"
    assert (await GroupFollow.get(group=space, target=berlin)).state == "undone"
    assert not await CollaborationModerator.filter(partner=berlin).exists()
    assert "not a partner" in await spaces_feature.refusal(fed, space, berlin, moderator)
    await drain_events(fed)
    other = {**undo, "object": {"type": "Follow", "actor": berlin.uri, "object": fed.urls.group("lisbon")}}
    assert await spaces_feature.on_undo_follow(fed, Incoming(other, berlin.uri, other["object"], None)) is None


async def test_partner_side_takes_down_its_original_when_the_space_withdraws_it(fed):
    """At a partner, the space's Undo of its Announce removes the partner's own original and copies relayed from the space."""
    berlin = await groups.create_group("berlin", "Berlin")
    space = await remote_account("space", host="lisbon.test", software="causeway")
    await GroupFollow.create(group=berlin, target=space, follow_uri="https://hub.test/f/1", state="accepted", relay=True)
    await Invite.create(group=berlin, counterpart=space, kind="collaboration", direction="incoming", state="accepted",
                        invite_uri="https://lisbon.test/invites/1", object_uri=space.uri, expires_at=now() + timedelta(days=7))
    author = await remote_account("ana")
    draft = PostDraft(uri="https://masto.test/notes/9", activity_uri=None, object_type="Note", content_html="<p>x</p>",
                      visibility="public", published_at=now(), activity_json="{}")
    await request_join(berlin, author, follow_uri="https://masto.test/follows/1", pre_approved=True)
    original = (await posts.submit(berlin, author, draft)).post
    undo = {"id": "https://lisbon.test/u/1", "type": "Undo", "actor": space.uri,
            "object": {"type": "Announce", "actor": space.uri, "object": original.uri}}
    assert (await spaces_feature.on_undo_announce(fed, Incoming(undo, space.uri, undo["object"], None))).state == "done"
    await original.refresh_from_db()
    assert original.state == "removed"
    stranger = {**undo, "actor": "https://other.test/groups/x", "object": {**undo["object"], "actor": "https://other.test/groups/x"}}
    assert await spaces_feature.on_undo_announce(fed, Incoming(stranger, stranger["actor"], stranger["object"], None)) is None
    # a group followed without being a space (no collaboration invite) withdrawing a boost leaves our own post alone
    neighbour = await remote_account("neighbour", host="other.test", software="causeway")
    await GroupFollow.create(group=berlin, target=neighbour, follow_uri="https://hub.test/f/2", state="accepted", relay=True)
    draft2 = PostDraft(**{**draft.__dict__, "uri": "https://masto.test/notes/10"})
    own = (await posts.submit(berlin, author, draft2)).post
    withdraw = {"id": "https://other.test/u/1", "type": "Undo", "actor": neighbour.uri,
                "object": {"type": "Announce", "actor": neighbour.uri, "object": own.uri}}
    assert await spaces_feature.on_undo_announce(fed, Incoming(withdraw, neighbour.uri, withdraw["object"], None)) is None
    await own.refresh_from_db()
    assert own.state == "published"


def test_spaces_run_first_on_what_moderation_and_membership_own():
    """The feature's handlers are First on keys owned by moderation, membership; its events are handled."""
    for key in spaces_feature.FEATURE.inbound:
        assert "spaces" in [name for name, _ in REGISTRY.inbound_chains[key].firsts]
    assert {"space.moderator", "space.removal", "space.ban"} <= set(REGISTRY.outbound)


async def test_a_direct_create_to_the_space_by_a_non_member_waits_for_the_partner(fed):
    """A post addressed only to the space by a partner's member is left alone (no Reject); members and other groups pass."""
    _collab, space, _berlin = await _space(fed)
    author = await remote_account("ana", host="berlin.test")
    obj = {"id": "https://berlin.test/notes/5", "type": "Note", "attributedTo": author.uri, "to": [fed.urls.group(space.slug)]}
    create = {"id": f"{obj['id']}/activity", "type": "Create", "actor": author.uri, "object": obj}
    outcome = await spaces_feature.through_partner(fed, Incoming(create, author.uri, obj, obj["id"]), obj)
    assert outcome.state == "ignored" and "through the partner group" in outcome.reason
    both = {**obj, "to": [fed.urls.group(space.slug), fed.urls.group("lisbon")]}
    assert await spaces_feature.through_partner(fed, Incoming({**create, "object": both}, author.uri, both, obj["id"]), both) is None
    await request_join(space, author, follow_uri="https://berlin.test/follows/9", pre_approved=True)
    assert await spaces_feature.through_partner(fed, Incoming(create, author.uri, obj, obj["id"]), obj) is None


async def test_a_partner_domain_block_holds_for_what_it_relays(fed):
    """A group relaying a space does not take a post by an author on a domain it blocks."""
    lisbon = await groups.create_group("nairobi", "Nairobi")
    space = await remote_account("space", host="lisbon.test", software="causeway")
    troll = await remote_account("troll", host="trolls.test")
    await moderation.block_domain("trolls.test", group=lisbon)
    draft = PostDraft(uri="https://trolls.test/notes/1", activity_uri=None, object_type="Note", content_html="<p>x</p>",
                      visibility="public", published_at=now(), activity_json="{}")
    assert await posts.relay(lisbon, space, troll, draft) is None
    fine = await remote_account("ok", host="fine.test")
    assert await posts.relay(lisbon, space, fine, PostDraft(**{**draft.__dict__, "uri": "https://fine.test/notes/1"})) is not None


async def test_partner_calls_add_up_in_the_space_campaign(fed):
    """A partner's call Question with the campaign's hashtag counts (Create, then Update with more sign-ups); others do not."""
    _collab, space, berlin = await _space(fed)
    campaign = await campaigns.create_campaign(space, "strike", "Strike", hashtags=["housingalliance"])
    question = {"id": "https://berlin.test/groups/berlin/calls/1", "type": "Question", "attributedTo": berlin.uri,
                "content": "<p>Picket the landlord #housingalliance</p>", "votersCount": 1}
    create = {"id": f"{question['id']}#create", "type": "Create", "actor": berlin.uri, "object": question}
    assert (await spaces_feature.on_partner_call(fed, Incoming(create, berlin.uri, question, question["id"]))).state == "done"
    later = {**question, "votersCount": 4, "closed": "2026-12-05T10:00:00Z"}
    update = {**create, "id": f"{question['id']}#update", "type": "Update", "object": later}
    assert (await spaces_feature.on_partner_call(fed, Incoming(update, berlin.uri, later, later["id"]))).state == "done"
    impact = await campaigns.impact(campaign)
    assert (impact.calls, impact.signups, impact.by_group) == (1, 4, ((berlin.uri, 1, 4),))
    stranger = await remote_account("paris", host="paris.test", software="causeway")
    forged = {**question, "attributedTo": stranger.uri}
    assert await spaces_feature.on_partner_call(fed, Incoming({**create, "actor": stranger.uri}, stranger.uri, forged, forged["id"])) is None
    untagged = {**question, "id": "https://berlin.test/groups/berlin/calls/2", "content": "<p>Other work</p>"}
    assert await spaces_feature.on_partner_call(fed, Incoming(create, berlin.uri, untagged, untagged["id"])) is None
    note = {**question, "type": "Note"}
    assert await spaces_feature.on_partner_call(fed, Incoming(create, berlin.uri, note, note["id"])) is None
    assert (await campaigns.impact(campaign)).calls == 1


async def test_a_local_partner_call_counts_at_once(fed):
    """The host's own partner group publishes a call for its campaign with the space's hashtag: the space counts it in-process."""
    collab, space, _berlin = await _space(fed)
    lisbon = await collab.host_group
    strike = await campaigns.create_campaign(space, "strike", "Strike", hashtags=["housingalliance"])
    own = await campaigns.create_campaign(lisbon, "greve", "Greve", hashtags=["housingalliance"])
    call = await calls.create_call(lisbon, what="Leaflets", needed=2, campaign=own)
    await drain_events(fed)
    impact = await campaigns.impact(strike)
    assert (impact.calls, impact.by_group) == (1, ((fed.urls.group("lisbon"), 1, 0),))
    assert await spaces_feature.share_call(fed, Event(kind="call.signup", payload={"call_id": call.id}), None) is False
