"""Tests for federation.publication: one copy of the group's own object per member server, none without members."""

from __future__ import annotations

import pytest

from federation.publication import publish
from hub.models import Delivery
from tests.federation.harness import running_hub

pytestmark = pytest.mark.db


async def test_one_delivery_per_member_server(database_url, tmp_path) -> None:
    """Two members on one server and one on another: two deliveries; a group without members: none."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        lonely = await hub.group("lonely")
        for actor in (hub.world.person("alice"), hub.world.person("bob"), hub.world.person("carol", "other.test")):
            await hub.member(actor)
        activity = {"id": f"{hub.group_id()}/objects/decision/1/activity", "type": "Create", "actor": hub.group_id()}
        await publish(hub.fed, group, activity)
        await publish(hub.fed, lonely, {**activity, "actor": hub.group_id("lonely")})
        inboxes = sorted(d.inbox for d in await Delivery.all())
        assert len(inboxes) == 2 and any("other.test" in i for i in inboxes) and any("remote.test" in i for i in inboxes)
