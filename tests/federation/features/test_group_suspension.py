"""federation.features.group_suspension: a suspended group tells members' servers once, then stays silent and
deaf until the suspension is lifted, which it announces too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from federation.features.group_suspension import FEATURE, on_group_suspended, on_group_unsuspended
from federation.registry import REGISTRY
from hub.clock import now
from hub.models import Account, Delivery, Event, Membership
from hub.services import profiles, suspension
from tests.federation.harness import HUB_BASE, running_hub

pytestmark = pytest.mark.db
GROUP = f"{HUB_BASE}/groups/climate"


def test_the_feature_owns_the_suspension_events() -> None:
    """group.suspended and group.unsuspended belong to this feature; it handles nothing inbound."""
    assert FEATURE.outbound == {"group.suspended": on_group_suspended, "group.unsuspended": on_group_unsuspended}
    assert REGISTRY.outbound_chains["group.suspended"].owner == ("group_suspension", on_group_suspended)
    assert not FEATURE.inbound


def updates(hub) -> list[tuple[str, dict]]:
    """The Updates of the group actor the remote servers received."""
    return [(url, body) for url, body in hub.world.deliveries if body.get("type") == "Update" and body["object"]["id"] == GROUP]


async def test_suspension_is_announced_then_nothing_goes_out_or_comes_in_until_lifted(database_url: str, tmp_path: Path) -> None:
    """Suspend: queued deliveries cancelled, one Update marked suspended per members' server; while suspended a
    profile change sends nothing and a Follow is not taken; unsuspend: an Update marked not suspended."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        for name, host in (("ana", "one.test"), ("cy", "two.test")):
            await hub.member(hub.world.person(name, host))
        await hub.drain()
        waiting = await Delivery.create(inbox="https://one.test/inbox", host="one.test", actor_uri=GROUP,
                                        activity_uri=f"{GROUP}/activities/x", body="{}", next_try_at=now() + timedelta(hours=1))
        admin = await Account.create(uri="local:root", is_local=True, username="root", is_admin=True)
        hub.world.deliveries.clear()

        # When the administrators suspend the group
        await suspension.suspend(group, by=admin, reason="spam")
        await hub.drain()
        # Then each members' server gets one Update marked suspended, signed by the group; the queue is cancelled
        sent = updates(hub)
        assert sorted(url for url, _ in sent) == ["https://one.test/inbox", "https://two.test/inbox"]
        assert all(body["object"]["suspended"] is True and body["actor"] == GROUP for _, body in sent)
        assert {"toot": "http://joinmastodon.org/ns#", "suspended": "toot:suspended"} in sent[0][1]["@context"]
        assert (await Delivery.get(id=waiting.id)).state == "cancelled"

        # And while suspended a profile change stays home and a new Follow is not taken
        hub.world.deliveries.clear()
        await profiles.update_settings(group, by=None, city="Lisbon", country="PT")
        newcomer = hub.world.person("dee", "three.test")
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{newcomer.id}#follows/1", "type": "Follow",
                  "actor": newcomer.id, "object": GROUP}
        answer = await hub.signed_post("/groups/climate/inbox", follow, newcomer)
        await hub.drain()
        assert answer.status_code in (202, 404, 410)
        assert hub.world.deliveries == []
        assert (await Event.get(kind="group.updated")).last_error == "not sent: the group is suspended"
        assert await Membership.filter(group=group).count() == 2
        assert (await hub.get("/groups/climate", accept="application/activity+json")).status_code == 410
        assert (await hub.get("/.well-known/webfinger?resource=acct:climate@hub.test")).status_code == 404

        # When the suspension is lifted, servers are told and the group answers again
        await suspension.unsuspend(group, by=admin)
        await hub.drain()
        assert sorted((url, body["object"]["suspended"]) for url, body in updates(hub)) == [
            ("https://one.test/inbox", False), ("https://two.test/inbox", False)]
        assert (await hub.get("/groups/climate", accept="application/activity+json")).status_code == 200
