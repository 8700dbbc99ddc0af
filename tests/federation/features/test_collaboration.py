"""The collaboration feature: the inbox precheck of answers to our invites, and its declaration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from federation.errors import PayloadError
from federation.features import collaboration
from federation.handling import ANY
from hub.clock import now
from hub.models import Invite
from hub.services import groups
from tests.federation.conftest import remote_account

pytestmark = pytest.mark.db


async def test_only_the_invitee_may_answer_an_open_invite(fed):
    """An Accept of our invite by someone else is 403, of an unknown invite 404, of a closed one 410; others pass."""
    group = await groups.create_group("tenants", "Tenants")
    invited, stranger = await remote_account("union", host="lemmy.test"), await remote_account("eve")
    uri = fed.urls.group_activity("tenants", "invite", "abc")
    invite = await Invite.create(group=group, counterpart=invited, kind="collaboration", direction="outgoing", state="pending",
                                 invite_uri=uri, object_uri=fed.urls.group("tenants"), expires_at=now() + timedelta(days=7))

    def accept(actor: str, obj: str) -> dict:
        return {"id": f"{actor}#a", "type": "Accept", "actor": actor, "object": obj}

    await collaboration.precheck(fed, accept(invited.uri, uri), invited.uri)
    await collaboration.precheck(fed, accept(stranger.uri, "https://elsewhere.test/invites/1"), stranger.uri)
    with pytest.raises(PayloadError) as refused:
        await collaboration.precheck(fed, accept(stranger.uri, uri), stranger.uri)
    assert refused.value.status == 403
    with pytest.raises(PayloadError) as unknown:
        await collaboration.precheck(fed, accept(invited.uri, fed.urls.group_activity("tenants", "invite", "zzz")), invited.uri)
    assert unknown.value.status == 404
    await Invite.filter(id=invite.id).update(state="revoked")
    with pytest.raises(PayloadError) as closed:
        await collaboration.precheck(fed, accept(invited.uri, uri), invited.uri)
    assert closed.value.status == 410


def test_collaboration_owns_the_answers_and_announces_that_relays_decline():
    """Accept, Reject and Announce of anything are collaboration's (after relays), as are invites and group follows."""
    assert {("Invite", ANY), ("Accept", ANY), ("Reject", ANY), ("Announce", ANY), ("Undo", "Invite")} == set(collaboration.FEATURE.inbound)
    assert collaboration.FEATURE.hooks == {"precheck": collaboration.precheck}
