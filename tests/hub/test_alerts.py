"""Tests for hub.services.alerts: "alerts on/off" commands, subscriptions, sending an alert."""

from __future__ import annotations

import pytest

from hub.errors import PermissionDenied
from hub.models import Event
from hub.services import alerts, members
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member


@pytest.mark.parametrize(("text", "answer"), [
    ("@aid alerts on", "on"), ("Alerts ON please", "on"), ("alertas sí", "on"), ("alerts off", "off"),
    ("Alarm aus", "off"), ("I love alerts", None), ("alerts online", None),
])
def test_commands(text: str, answer: str | None) -> None:
    """"alerts on" / "alerts off" (and translations) are recognised as whole phrases."""
    assert alerts.subscription_command(text) == answer


async def test_members_opt_in_and_alerts_go_to_them(db) -> None:
    """Members opt in; non-members may not; an alert counts its recipients and is pinned; leavers stop receiving."""
    group = await create_group("aid", "Aid", owner=await account("owner"))
    alice, bob = await member(group, "alice"), await member(group, "bob")
    assert await alerts.subscribe(group, alice)
    assert not await alerts.subscribe(group, alice)
    with pytest.raises(PermissionDenied):
        await alerts.subscribe(group, await account("outsider"))
    await alerts.subscribe(group, bob)
    await members.leave(group, bob)
    alert = await alerts.send_alert(group, "Flood warning: move to higher ground")
    assert alert.recipients == 1 and alert.pinned
    assert [a.id for a in await alerts.pinned_alerts(group)] == [alert.id]
    assert await Event.filter(kind="alert.sent").count() == 1
    assert await alerts.unsubscribe(group, alice)
    assert await Event.filter(kind="alert.subscription").count() == 3  # alice on, bob on, alice off
