"""hub.services.spaces and the relay filter of hub.services.collaborations: who shares into a space, who moderates it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import InvalidInput, NotFound, PermissionDenied
from hub.models import Account, CollaborationModerator, GroupFollow
from hub.services import collaborations, groups, spaces

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("db", "reuse_rsa_key_pair")]


async def _account(uri: str) -> Account:
    return await Account.create(uri=uri, handle=uri.rsplit("/", 1)[1])


async def test_relay_filter_by_hashtag_switched_after_the_follow():
    """A follow relays every post, then only #rent or posts addressed to the group, then nothing when switched off."""
    group = await groups.create_group("lisbon", "Lisbon")
    other = await _account("https://b.test/groups/berlin")
    await GroupFollow.create(group=group, target=other, follow_uri="https://a.test/f/1", state="accepted", relay=True)
    assert await collaborations.relaying_groups(other, hashtags=[]) == [group]
    await collaborations.set_relay(group, other, hashtag="#Rent")
    assert await collaborations.relaying_groups(other, hashtags=["climate"]) == []
    assert await collaborations.relaying_groups(other, hashtags=["rent"]) == [group]
    assert await collaborations.relaying_groups(other, hashtags=[], addressed={"lisbon"}) == [group]
    await collaborations.set_relay(group, other, False)
    assert await collaborations.relaying_groups(other, hashtags=["rent"]) == []
    row = await collaborations.set_relay(group, other, True, hashtag="#Rent, strike")
    assert row.hashtag == "rent strike" and await collaborations.relaying_groups(other, hashtags=["strike"]) == [group]
    row = await collaborations.set_relay(group, other, True, hashtag="")
    assert (row.relay, row.hashtag) == (True, None)
    with pytest.raises(InvalidInput):
        await collaborations.set_relay(group, other, hashtag="not a tag!")
    with pytest.raises(NotFound):
        await collaborations.set_relay(group, await _account("https://c.test/groups/x"), True)


async def test_the_host_records_moderators_only_of_partners_and_knows_its_end():
    """A moderator named by a non-partner is refused; an ended collaboration is no longer open."""
    host = await groups.create_group("lisbon", "Lisbon")
    host_account = await _account("https://a.test/groups/lisbon")
    collab = await collaborations.create_collaboration(host, "lisbon_alliance", "Alliance", host_account=host_account,
                                                       ends_at=now() + timedelta(days=1))
    assert collab.hashtag == "lisbonalliance" and spaces.is_open(collab)
    assert not spaces.is_open(collab, at=now() + timedelta(days=2))
    space_group = await collab.group
    space = await _account("https://a.test/groups/lisbon_alliance")
    berlin, mod = await _account("https://b.test/groups/berlin"), await _account("https://b.test/users/mod")
    with pytest.raises(PermissionDenied):
        await spaces.record_moderator(space_group, space, berlin, mod)
    await collaborations.add_partner(collab, berlin)
    await spaces.record_moderator(space_group, space, berlin, mod)
    assert await spaces.is_named_moderator(space, berlin, mod)
    assert [(m.partner.uri, m.moderator.uri) for m in await spaces.moderators_of(space)] == [(berlin.uri, mod.uri)]
    assert [c.id for c in await spaces.hosted()] == [collab.id]


async def test_a_partner_names_moderators_and_removes_only_with_them():
    """At a partner: naming needs a live follow of the space; a removal by someone not named is refused."""
    berlin = await groups.create_group("berlin", "Berlin")
    me = await _account("https://b.test/groups/berlin")
    space, mod, other = [await _account(u) for u in ("https://a.test/groups/space", "https://b.test/users/mod", "https://b.test/users/x")]
    with pytest.raises(NotFound):
        await spaces.name_moderator(berlin, space, me, mod)
    await GroupFollow.create(group=berlin, target=space, follow_uri="https://b.test/f/1", state="accepted", relay=True)
    await spaces.name_moderator(berlin, space, me, mod)
    with pytest.raises(PermissionDenied):
        await spaces.request_removal(berlin, space, me, other, "https://c.test/notes/1")
    assert await spaces.request_removal(berlin, space, me, mod, "https://c.test/notes/1") == []
    await spaces.leave(berlin, space, me)
    assert not await CollaborationModerator.filter(space=space).exists()
    assert (await GroupFollow.get(group=berlin, target=space)).state == "undone"
