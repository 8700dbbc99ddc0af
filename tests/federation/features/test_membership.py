"""The membership feature: Follow and Undo{Follow} in, the group's Accept/Reject out."""

from __future__ import annotations

import json

import pytest

from federation.features import membership
from federation.handling import ANY, Incoming
from hub.models import Delivery
from hub.services import groups, members
from tests.federation.conftest import drain_events, remote_account

pytestmark = pytest.mark.db
ACTOR = "https://masto.test/users/ann"


async def test_follows_of_non_groups_and_undos_of_others_follows_are_ignored(fed):
    """A Follow of something that is not a local group, or an Undo of someone else's Follow, changes nothing."""
    follow = Incoming({"id": f"{ACTOR}#f", "type": "Follow", "actor": ACTOR}, ACTOR, None, "https://hub.test/users/nobody")
    assert (await membership.on_follow(fed, follow)).reason == "Follow of something that is not a local group"
    other = {"type": "Follow", "id": "https://masto.test/users/bob#f", "actor": "https://masto.test/users/bob"}
    undo = Incoming({"id": f"{ACTOR}#u", "type": "Undo", "actor": ACTOR, "object": other}, ACTOR, other, other["id"])
    assert (await membership.on_undo_follow(fed, undo)).reason == "Undo of someone else's Follow"


async def test_an_approved_member_gets_the_groups_accept_at_their_personal_inbox(fed):
    """Approving a pending join sends Accept{Follow} to the member's own inbox, not the shared one."""
    group = await groups.create_group("housing", "Housing", closed=True)
    ann = await remote_account("ann")
    await members.request_join(group, ann, follow_uri=f"{ACTOR}#follows/1")
    await members.approve(group, ann)
    await drain_events(fed)
    [delivery] = await Delivery.all()
    accept = json.loads(delivery.body)
    assert delivery.inbox == f"{ACTOR}/inbox"
    assert (accept["type"], accept["object"]["id"]) == ("Accept", f"{ACTOR}#follows/1")
    assert set(membership.FEATURE.inbound) == {("Follow", ANY), ("Undo", "Follow")}
