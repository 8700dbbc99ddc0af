"""The group_actor feature: profile changes as Update of the Group actor, and direct notices."""

from __future__ import annotations

import json

import pytest

from federation.features import group_actor
from hub.models import Delivery, Membership
from hub.services import groups, notices, profiles
from tests.federation.conftest import drain_events, remote_account

pytestmark = pytest.mark.db


async def test_a_profile_change_is_an_update_of_the_group_once_per_server(fed):
    """Two members on one server: the Update of the Group actor goes once, to the shared inbox."""
    group = await groups.create_group("climate", "Climate")
    for name in ("ann", "bob"):
        await Membership.create(group=group, account=await remote_account(name), state="accepted")
    await profiles.update_profile(group, by=None, name="Climate Action", summary="", rules="", join_policy=group.join_policy,
                                  posting_mode=group.posting_mode)
    await drain_events(fed)
    [delivery] = await Delivery.all()
    update = json.loads(delivery.body)
    assert delivery.inbox == "https://masto.test/inbox"
    assert (update["type"], update["object"]["type"], update["object"]["name"]) == ("Update", "Group", "Climate Action")


async def test_a_direct_notice_goes_to_the_accounts_personal_inbox(fed):
    """notice.direct is a direct Note from the group to one account's own inbox."""
    group = await groups.create_group("climate", "Climate")
    ann = await remote_account("ann")
    await notices.send_notice(ann, "Welcome!", link="https://hub.test/groups/climate", sender=group)
    await drain_events(fed)
    [delivery] = await Delivery.all()
    note = json.loads(delivery.body)["object"]
    assert delivery.inbox == "https://masto.test/users/ann/inbox" and note["to"] == [ann.uri] and "Welcome!" in note["content"]
    assert set(group_actor.FEATURE.outbound) == {"group.updated", "notice.direct"}
