"""federation.features.moving: a moved group tells each member's server in the form it understands, and a
member's Move is followed only when the new account names the old one in ``alsoKnownAs``."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.features.moving import FEATURE, also_known_as, move_activity, on_group_moved, on_move
from federation.registry import REGISTRY
from federation.urls import Urls
from hub.models import Account, Group, Membership
from hub.services import moves
from tests.federation.harness import HUB_BASE, PUBLIC, RemoteWorld, running_hub

pytestmark = pytest.mark.db
GROUP = f"{HUB_BASE}/groups/climate"
NEW = "https://new.test/groups/climate"
AS = "application/activity+json"


def test_the_move_names_the_group_as_actor_and_object() -> None:
    """Move{actor = object = the group, target = the new actor}; the feature owns group.moved and (Move, *)."""
    activity = move_activity(Urls(HUB_BASE), Group(slug="climate"), NEW)
    assert (activity["type"], activity["actor"], activity["object"], activity["target"]) == ("Move", GROUP, GROUP, NEW)
    assert activity["to"] == [f"{GROUP}/followers"] and activity["cc"] == [PUBLIC]
    assert REGISTRY.outbound_chains["group.moved"].owner == ("moving", on_group_moved)
    assert REGISTRY.inbound_chains[("Move", "*")].owner == ("moving", on_move)
    assert "membership.moved" in FEATURE.quiet


def test_also_known_as_reads_strings_lists_and_objects() -> None:
    """alsoKnownAs may be one id, a list of ids or of objects with ids; anything else is no alias."""
    assert also_known_as({"alsoKnownAs": "https://a.test/u/x"}) == ["https://a.test/u/x"]
    assert also_known_as({"alsoKnownAs": ["https://a.test/u/x", {"id": "https://b.test/u/y"}, 3]}) == \
        ["https://a.test/u/x", "https://b.test/u/y"]
    assert also_known_as({}) == []


async def test_a_moved_group_tells_each_server_in_its_own_way(database_url: str, tmp_path: Path) -> None:
    """Mastodon's server: the Move only. Lemmy's: the Move, a public notice, and a DM to its member with the link."""
    world = RemoteWorld()
    world.software_of["two.test"] = "lemmy"
    async with running_hub(database_url, tmp_path, world=world) as hub:
        group = await hub.group()
        await hub.member(world.person("ana", "one.test"))
        await hub.member(world.person("ben", "one.test"))
        cy = world.person("cy", "two.test")
        await hub.member(cy)
        await moves.mark_moved(group, NEW)
        await hub.drain()
        sent = [(url, body) for url, body in world.deliveries if body.get("actor") == GROUP]
        assert sorted(url for url, body in sent if body["type"] == "Move") == ["https://one.test/inbox", "https://two.test/inbox"]
        creates = [(url, body["object"]) for url, body in sent if body["type"] == "Create"]
        assert sorted(url for url, _ in creates) == sorted([cy.inbox, "https://two.test/inbox"])
        assert all(NEW in note["content"] for _, note in creates)
        assert [note["to"] for url, note in creates if url == cy.inbox] == [[cy.id]]
        # the old group's actor says where it went; its pages and collections redirect there
        actor = await hub.get("/groups/climate", accept=AS)
        assert actor.status_code == 200 and actor.json()["movedTo"] == NEW
        page = await hub.get("/groups/climate", accept="text/html")
        assert (page.status_code, page.headers["location"]) == (301, NEW)
        outbox = await hub.get("/groups/climate/outbox", accept=AS)
        assert (outbox.status_code, outbox.headers["location"]) == (308, f"{NEW}/outbox")
        with pytest.raises(Exception, match="moved to"):
            await moves.mark_moved(await Group.get(id=group.id), NEW)
        # a Follow of the old address afterwards: rejected, and the follower is told where the group went
        dee = world.person("dee", "one.test")
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{dee.id}#follows/1", "type": "Follow",
                  "actor": dee.id, "object": GROUP}
        assert (await hub.signed_post("/groups/climate/inbox", follow, dee)).status_code == 202
        await hub.drain()
        to_dee = [body for url, body in world.deliveries if url == dee.inbox]
        assert [body["type"] for body in to_dee] == ["Reject", "Create"]
        assert to_dee[0]["object"]["id"] == follow["id"] and NEW in to_dee[1]["object"]["content"]
        assert not await Membership.filter(account__uri=dee.id).exists()


async def test_a_members_move_is_followed_only_when_the_target_names_them(database_url: str, tmp_path: Path) -> None:
    """ana -> ana2 (alsoKnownAs ana): ana2 is a moderator in her place. ben -> ben2 (no alias): refused, nothing changes."""
    async with running_hub(database_url, tmp_path) as hub:
        ana, ben = hub.world.person("ana", "one.test"), hub.world.person("ben", "one.test")
        await hub.member(ana, role="moderator")
        await hub.member(ben)
        ana2 = hub.world.person("ana2", "one.test", alsoKnownAs=[ana.id])
        hub.world.person("ben2", "one.test")
        for who, target in ((ana, ana2.id), (ben, "https://one.test/users/ben2")):
            move = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{who.id}#moves/1", "type": "Move",
                    "actor": who.id, "object": who.id, "target": target}
            assert (await hub.signed_post("/inbox", move, who)).status_code == 202
        await hub.drain()
        rows = {m.account.uri: m for m in await Membership.all().prefetch_related("account")}
        assert (rows[ana2.id].state, rows[ana2.id].role) == ("accepted", "moderator")
        assert rows[ana.id].state == "left"
        assert rows[ben.id].state == "accepted" and "https://one.test/users/ben2" not in rows
        refused = await hub.inbox_item(f"{ben.id}#moves/1")
        assert refused.state == "ignored" and "does not list" in refused.last_error
        assert await Account.filter(uri="https://one.test/users/ben2").count() == 0
