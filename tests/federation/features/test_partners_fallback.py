"""An invite to a group whose software ignores Invite (Lemmy here): sent as the space's follow, answered by that follow."""

from __future__ import annotations

import argparse
import json

import pytest

from federation import collab_commands
from federation.features import collaboration
from federation.features.collaboration import send_invite
from federation.handling import Incoming
from hub.models import Account, Delivery, Event, Group, GroupFollow, Invite, Membership
from hub.services import groups, invites
from tests.federation.conftest import drain_events, remote_account

pytestmark = pytest.mark.db


async def invite_community(fed, name: str = "tenforward") -> tuple[Invite, GroupFollow]:
    """aid invites a Lemmy community to its Housing collaboration; the events are handled as the worker would."""
    group = await Group.get_or_none(slug="aid") or await groups.create_group("aid", "Mutual Aid")
    community = await Account.get_or_none(uri=f"https://lemmy.test/users/{name}") or await remote_account(name, host="lemmy.test", software="lemmy")
    invite = await send_invite(fed, group, community, collaboration="Housing")
    await drain(fed)
    invite = await Invite.get(id=invite.id).prefetch_related("collaboration", "counterpart")
    follow = await GroupFollow.get(target=community)
    return invite, follow


async def drain(fed) -> None:
    """Handle domain events until none is pending (handlers record events of their own, such as the follow's)."""
    for _ in range(5):
        if not await Event.filter(state="pending").exists():
            return
        await drain_events(fed)
    raise AssertionError("domain events still pending after 5 passes")


def answer(kind: str, follow: GroupFollow, actor: str) -> Incoming:
    """The community's Accept or Reject of the space's Follow."""
    return Incoming({"id": f"{actor}#{kind}", "type": kind, "actor": actor, "object": follow.follow_uri}, actor, None, follow.follow_uri)


async def test_the_follow_stands_in_for_the_invite_and_its_accept_answers_it(fed) -> None:
    """No Invite goes out; the invite waits on the space's follow; Lemmy's Accept of it makes the community a partner."""
    # Given an invite to a Lemmy community, sent as the space's follow
    invite, follow = await invite_community(fed)
    bodies = [d.body for d in await Delivery.all()]
    assert not any('"type": "Invite"' in body or '"type":"Invite"' in body for body in bodies)
    assert invite.state == "pending" and invite.follow_id == follow.id and follow.state == "pending"
    # When the community accepts the follow
    outcome = await collaboration.on_accept(fed, answer("Accept", follow, invite.counterpart.uri))
    # Then the follow and the invite are accepted, and the community is a partner of the space
    assert (await GroupFollow.get(id=follow.id)).state == "accepted"
    invite = await invites.get(invite.id)
    assert invite.state == "accepted" and invite.answered_at is not None
    assert f"invite #{invite.id} accepted" in outcome.reason
    membership = await Membership.get(group_id=invite.collaboration.group_id, account_id=invite.counterpart_id)
    assert (membership.state, membership.role) == ("accepted", "partner")


async def test_a_reject_of_the_follow_rejects_the_invite(fed) -> None:
    """The community's Reject of the follow rejects the invite; no partner is added."""
    invite, follow = await invite_community(fed)
    await collaboration.on_reject(fed, answer("Reject", follow, invite.counterpart.uri))
    assert (await invites.get(invite.id)).state == "rejected"
    assert not await Membership.exists(group_id=invite.collaboration.group_id, account_id=invite.counterpart_id)


async def test_only_the_followed_group_answers(fed) -> None:
    """An Accept of the follow by anyone else leaves the invite pending."""
    invite, follow = await invite_community(fed)
    stranger = await remote_account("eve", host="lemmy.test", software="lemmy")
    await collaboration.on_accept(fed, answer("Accept", follow, stranger.uri))
    assert (await invites.get(invite.id)).state == "pending"
    assert (await GroupFollow.get(id=follow.id)).state == "pending"


async def test_a_follow_already_accepted_answers_a_new_invite_at_once(fed) -> None:
    """When the space already follows the community (accepted), a new invite is accepted as it is sent."""
    first, follow = await invite_community(fed)
    await invites.revoke(await invites.get(first.id))
    await GroupFollow.filter(id=follow.id).update(state="accepted")
    second, _ = await invite_community(fed)
    assert second.follow_id == follow.id and second.state == "accepted"


async def test_invite_list_says_what_was_sent_instead(fed, capsys: pytest.CaptureFixture[str]) -> None:
    """``hub invite list`` shows a waiting fallback invite as sent as a follow, and its answer once there is one."""
    invite, follow = await invite_community(fed)
    assert await collab_commands._invite_list(argparse.Namespace(slug="aid", json=True), None) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["state"], row["sent_as"]) == ("pending", "follow")
    await collab_commands._invite_list(argparse.Namespace(slug="aid", json=False), None)
    assert "pending: sent as a follow; moderators told" in capsys.readouterr().out
    await collaboration.on_accept(fed, answer("Accept", follow, invite.counterpart.uri))
    await collab_commands._invite_list(argparse.Namespace(slug="aid", json=False), None)
    table = capsys.readouterr().out
    assert "accepted" in table and "sent as a follow" not in table


async def test_revoking_undoes_the_follow_instead_of_an_invite(fed) -> None:
    """Revoking a waiting fallback invite undoes the space's follow (an Undo of the Follow), and no Undo of an Invite."""
    invite, follow = await invite_community(fed)
    before = {d.id for d in await Delivery.all()}
    await invites.revoke(await invites.get(invite.id))
    await drain(fed)
    assert (await GroupFollow.get(id=follow.id)).state == "undone"
    sent = [json.loads(d.body) for d in await Delivery.all() if d.id not in before]
    assert [(a["type"], a["object"]["type"]) for a in sent] == [("Undo", "Follow")]
    assert sent[0]["object"]["id"] == follow.follow_uri
