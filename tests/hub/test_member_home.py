"""Tests for hub.services.member_home and the services it reuses: a member's groups, alerts per group and
per campaign, answers with withdraw (once), leaving, language."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, NotFound, PermissionDenied
from hub.models import Event, Membership
from hub.services import alerts, calls, campaigns, group_settings, member_home, members, sessions
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member

pytestmark = pytest.mark.db


@pytest.fixture
async def scene(db):
    """Two groups; alice is a member of both, pending in a third; a campaign and a call in the first."""
    owner = await account("owner")
    climate = await create_group("climate", "Climate", owner=owner)
    housing = await create_group("housing", "Housing")
    closed = await create_group("closed", "A closed one", closed=True)
    alice = await member(climate, "alice")
    await members.request_join(housing, alice, follow_uri="https://social.example/follows/alice-housing")
    await members.request_join(closed, alice, follow_uri="https://social.example/follows/alice-closed")
    heat = await campaigns.create_campaign(climate, "heat", "Heatwave", hashtags=["heat"])
    call = await calls.create_call(climate, what="Water station", needed=2)
    return {"owner": owner, "climate": climate, "housing": housing, "closed": closed, "alice": alice, "heat": heat,
            "call": call}


async def test_home_lists_groups_campaigns_answers_and_sessions(scene) -> None:
    """The home shows accepted and pending groups by name, campaigns with alerts, answers and sessions."""
    alice = scene["alice"]
    await alerts.subscribe(scene["climate"], alice)
    await calls.sign_up(scene["call"], alice, via="web")
    await sessions.start(alice, user_agent="Phone")
    home = await member_home.home_of(alice)
    assert [(e.group.slug, e.membership.state) for e in home.groups] == [
        ("closed", "pending"), ("climate", "accepted"), ("housing", "accepted")]
    climate = next(e for e in home.groups if e.group.slug == "climate")
    assert climate.alerts_on and [(c.campaign.slug, c.on) for c in climate.campaigns] == [("heat", True)]
    assert [s.call.what for s in home.signups] == ["Water station"]
    assert [s.user_agent for s in home.sessions] == ["Phone"]


async def test_campaign_alerts_off_keeps_the_groups_other_alerts(scene) -> None:
    """Switching a campaign's alerts off drops the member from that campaign's alerts only."""
    alice, climate, heat = scene["alice"], scene["climate"], scene["heat"]
    await alerts.subscribe(climate, alice)
    assert await alerts.set_campaign_alerts(heat, alice, on=False) is True
    assert await alerts.set_campaign_alerts(heat, alice, on=False) is False
    assert alice.id not in [a.id for a in await alerts.subscribers(climate, campaign=heat)]
    assert alice.id in [a.id for a in await alerts.subscribers(climate)]
    sent = await alerts.send_alert(climate, "Heat tomorrow", campaign=heat)
    assert sent.recipients == 0
    assert await alerts.set_campaign_alerts(heat, alice, on=True) is True
    assert alice.id in [a.id for a in await alerts.subscribers(climate, campaign=heat)]
    with pytest.raises(PermissionDenied):
        await alerts.set_campaign_alerts(heat, await account("stranger"), on=False)


async def test_withdraw_once_then_a_clear_error(scene) -> None:
    """A withdrawn answer cannot be withdrawn again; a closed call refuses withdrawing."""
    alice, call = scene["alice"], scene["call"]
    await calls.sign_up(call, alice, via="web")
    await calls.withdraw(call, alice)
    assert (await calls.status(call)).counted == 0
    with pytest.raises(NotFound, match="no sign-up to this call"):
        await calls.withdraw(call, alice)
    await calls.sign_up(call, alice, via="web")
    await calls.close_call(call)
    with pytest.raises(Conflict, match="closed"):
        await calls.withdraw(call, alice)
    assert (await calls.status(call)).counted == 1


async def test_leaving_from_the_hub_records_quit_and_refuses_owners(scene) -> None:
    """Leaving moves the membership to left with event membership.quit (its Follow is Rejected); twice is NotFound."""
    alice = scene["alice"]
    await members.leave_here(scene["climate"], alice)
    assert (await Membership.get(group=scene["climate"], account=alice)).state == "left"
    event = await Event.filter(kind="membership.quit").first()
    assert event is not None and event.payload["follow_uri"] == "https://social.example/follows/alice"
    with pytest.raises(NotFound):
        await members.leave_here(scene["climate"], alice)
    await members.leave_here(scene["closed"], alice)  # a pending request is withdrawn the same way
    with pytest.raises(PermissionDenied, match="owner"):
        await members.leave_here(scene["climate"], scene["owner"])


async def test_deleted_groups_leave_the_home(scene) -> None:
    """A deleted group and its calls no longer show on a member's home."""
    alice = scene["alice"]
    await calls.sign_up(scene["call"], alice, via="web")
    await group_settings.delete_group(scene["climate"], by=None, notice="gone")
    home = await member_home.home_of(alice)
    assert "climate" not in [e.group.slug for e in home.groups] and home.signups == []


async def test_unknown_campaign(scene) -> None:
    """A campaign the group does not have is NotFound."""
    alice = scene["alice"]
    with pytest.raises(NotFound):
        await member_home.campaign_of_member(alice, scene["climate"], "nope")
