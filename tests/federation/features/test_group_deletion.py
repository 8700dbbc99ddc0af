"""federation.features.group_deletion: a deleted group sends the Delete of its actor to each member's server once."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.features.group_deletion import FEATURE, delete_actor, on_group_deleted
from federation.registry import REGISTRY
from federation.urls import Urls
from hub.models import Account, Group, Membership
from hub.services import group_settings
from tests.federation.harness import HUB_BASE, PUBLIC, running_hub

pytestmark = pytest.mark.db
GROUP = f"{HUB_BASE}/groups/climate"


def test_the_delete_names_the_actor_itself() -> None:
    """Delete{object: the group actor}, public, cc the followers; the feature owns group.deleted in the registry."""
    group = Group(slug="climate")
    activity = delete_actor(Urls(HUB_BASE), group)
    assert activity["type"] == "Delete" and activity["actor"] == activity["object"] == f"{HUB_BASE}/groups/climate"
    assert activity["to"] == [PUBLIC] and activity["cc"] == [f"{HUB_BASE}/groups/climate/followers"]
    assert activity["id"].startswith(f"{HUB_BASE}/groups/climate/activities/delete/")
    assert FEATURE.outbound == {"group.deleted": on_group_deleted} and not FEATURE.inbound
    assert REGISTRY.outbound_chains["group.deleted"].owner == ("group_deletion", on_group_deleted)


async def test_deletion_reaches_each_members_server_once_and_tells_them(database_url: str, tmp_path: Path) -> None:
    """Two members on one server, one on another, a banned one on a third: two Deletes (one per members'
    server, shared inboxes), three direct messages from the instance actor, none to the banned account."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        for name, host in (("ana", "one.test"), ("ben", "one.test"), ("cy", "two.test")):
            await hub.member(hub.world.person(name, host))
        banned = await hub.member(hub.world.person("dee", "three.test"))
        await Membership.filter(id=banned.id).update(state="banned")
        await group_settings.delete_group(group, by=None, notice="The group was deleted.")
        await hub.drain()
        deletes = [(url, body) for url, body in hub.world.deliveries if body.get("type") == "Delete"]
        assert sorted(url for url, _ in deletes) == ["https://one.test/inbox", "https://two.test/inbox"]
        assert all(body["object"] == GROUP for _, body in deletes)
        notes = [body for _, body in hub.world.deliveries if body.get("type") == "Create"]
        assert len(notes) == 3 and all(body["actor"] == f"{HUB_BASE}/actor" for body in notes)
        assert not any("three.test" in url for url, body in hub.world.deliveries if body.get("type") in ("Delete", "Create"))
        # Afterwards the group takes nothing: a Follow is ignored, its actor is 410
        assert (await hub.get("/groups/climate", accept="application/activity+json")).status_code == 410


async def test_each_member_is_told_in_their_own_language(database_url: str, tmp_path: Path) -> None:
    """Without a notice written by the organisers, each member reads the standard one in their language."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        ana = await hub.member(hub.world.person("ana", "one.test"))
        await hub.member(hub.world.person("ben", "two.test"))
        await Account.filter(id=ana.account_id).update(language="es")
        assert await group_settings.delete_group(group, by=None) == 2
        await hub.drain()
        texts = {body["object"]["to"][0]: body["object"]["content"] for _, body in hub.world.deliveries
                 if body.get("type") == "Create"}
        assert "fue eliminado por sus organizadores" in texts["https://one.test/users/ana"]
        assert "was deleted by its organisers" in texts["https://two.test/users/ben"]
