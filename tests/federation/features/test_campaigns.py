"""The campaigns feature: which Creates are answers to the group's own objects (the ``reply`` hook)."""

from __future__ import annotations

import pytest

from federation.features import campaigns
from federation.handling import Incoming
from hub.models import AlertSubscription, Membership
from hub.services import groups
from tests.federation.conftest import remote_account

pytestmark = pytest.mark.db
ACTOR = "https://masto.test/users/ann"


def _create(note: dict) -> Incoming:
    note = {"type": "Note", "attributedTo": ACTOR, **note}
    activity = {"id": f"{note['id']}/activity", "type": "Create", "actor": ACTOR, "to": note.get("to", []), "object": note}
    return Incoming(activity, ACTOR, note, note["id"])


async def test_replies_to_the_groups_objects_and_alert_commands_are_answers_other_posts_are_not(fed):
    """An ordinary post goes on (None); a reply to an unknown call is ignored; "alerts on" sent only to the group subscribes."""
    group = await groups.create_group("aid", "Aid")
    ann = await remote_account("ann")
    await Membership.create(group=group, account=ann, state="accepted")
    post = _create({"id": f"{ACTOR}/s/1", "content": "<p>Sandbags at the bridge</p>", "to": [fed.urls.group("aid")]})
    assert await campaigns.route_reply(fed, post, post.obj) is None
    unknown = _create({"id": f"{ACTOR}/s/2", "content": "<p>I'm in</p>", "inReplyTo": f"{fed.urls.group('aid')}/objects/call/99"})
    assert (await campaigns.route_reply(fed, unknown, unknown.obj)).reason == "a reply to an unknown call #99"
    command = _create({"id": f"{ACTOR}/s/3", "content": "<p>alerts on</p>", "to": [fed.urls.group("aid")]})
    assert (await campaigns.route_reply(fed, command, command.obj)).reason == "aid: alerts on"
    assert await AlertSubscription.filter(group=group, account=ann).exists()
    assert campaigns.FEATURE.hooks == {"reply": campaigns.route_reply, "group_post": campaigns.after_group_post,
                                       "post_edit": campaigns.after_post_edit}
