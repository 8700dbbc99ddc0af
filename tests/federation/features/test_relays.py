"""The relays feature: it takes Accepts and Announces of subscribed relays first and declines everything else."""

from __future__ import annotations

import pytest

from federation.features import relays
from federation.handling import ANY, First, Incoming
from hub.models import RelaySubscription
from hub.services import relays as relay_service

pytestmark = pytest.mark.db
RELAY = "https://relay.test/actor"


def _item(kind: str, actor: str, obj: str) -> Incoming:
    return Incoming({"id": f"{actor}#{kind}", "type": kind, "actor": actor, "object": obj}, actor, None, obj)


async def test_a_relays_accept_marks_the_subscription_other_accepts_are_declined(fed):
    """The relay's Accept of our Follow is the relay's; an Accept of anything else returns None for collaboration."""
    follow_uri = f"{fed.urls.instance_actor}/follows/relay-1"
    await relay_service.follow(RELAY, inbox="https://relay.test/inbox", follow_uri=follow_uri)
    assert await relays.on_accept(fed, _item("Accept", "https://masto.test/users/ann", follow_uri)) is None
    assert await relays.on_reject(fed, _item("Reject", RELAY, "https://hub.test/other")) is None
    assert (await relays.on_accept(fed, _item("Accept", RELAY, follow_uri))).reason == "relay accepted our Follow"
    assert (await RelaySubscription.get(actor_uri=RELAY)).state == "accepted"


async def test_announces_of_non_relays_are_declined_and_relayed_retractions_ignored(fed):
    """An Announce by an actor that is no subscribed relay returns None; a relayed Delete is not a post."""
    assert await relays.on_announce(fed, _item("Announce", "https://lemmy.test/c/climate", "https://lemmy.test/post/1")) is None
    deleted = Incoming({"id": f"{RELAY}#d", "type": "Announce", "actor": RELAY}, RELAY, {"type": "Delete", "id": "https://x.test/d"}, "https://x.test/d")
    assert "is not a post" in (await relays.on_relay_announce(fed, deleted)).reason
    assert all(isinstance(relays.FEATURE.inbound[(kind, ANY)], First) for kind in ("Accept", "Reject", "Announce"))
