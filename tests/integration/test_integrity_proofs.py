"""End to end: a relayed post with a FEP-8b32 proof is taken while its origin is offline; a tampered copy is refused.

Real processes: a hub, a test relay and a Mastodon-like server signing its notes as Mitra does (--integrity-proofs).
"""

from __future__ import annotations

import copy

import pytest

from tests.peers.relay import launch_relay
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def test_a_proven_relayed_post_needs_no_origin_and_a_tampered_one_is_refused(hub_factory, peer_factory, tmp_path):
    """With its origin stopped, a relayed post proven by its author is gathered; a tampered copy is ignored."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.cli("campaign", "create", "climate", "Heat", "--slug", "heat", "--hashtag", "heatwave")
    hub.start()
    relay = launch_relay(log_dir=str(tmp_path))
    try:
        hub.cli("relay", "follow", relay.actor)
        wait_until_sync(lambda: hub.query("SELECT state FROM relay_subscriptions") == [{"state": "accepted"}], timeout=30,
                        message="relay accepted")
        origin = peer_factory("--integrity-proofs")
        bob = origin.control("actors", {"name": "bob"})
        # bob joins the group, so the hub has his actor, with its assertionMethod key, before his server goes away
        origin.control("follow", {"actor": "bob", "target": f"climate@{hub.domain}"})
        wait_until_sync(lambda: hub.members("climate").get(bob["id"], {}).get("state") == "accepted", timeout=30,
                        message="bob accepted")
        unreachable = "http://127.0.0.1:9/inbox"
        proven = origin.control("post", {"actor": "bob", "content": "Shade at the library #heatwave", "inbox": unreachable})["note"]
        other = origin.control("post", {"actor": "bob", "content": "Water at the station #heatwave", "inbox": unreachable})["note"]
        assert proven["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        tampered = copy.deepcopy(other)
        tampered["content"] = "<p>Send money to this address #heatwave</p>"
        origin.stop()  # the origin is offline from now on

        for note in (tampered, proven):
            assert relay.control("announce", {"object": note})["statuses"] == [202]
        gathered = wait_until_sync(lambda: hub.query("SELECT uri, state FROM campaign_posts"), timeout=30,
                                   message="the proven post gathered")
        assert gathered == [{"uri": proven["id"], "state": "approved"}]  # a member's post: approved at once
        assert "Shade at the library" in hub.get("/groups/climate/campaigns/heat").text
        refused = wait_until_sync(
            lambda: [r for r in hub.query("SELECT state, last_error FROM inbox_items WHERE body LIKE %s", "%Send money%")
                     if r["state"] != "queued"], timeout=30, message="the tampered copy processed")
        assert refused[0]["state"] == "ignored" and "does not verify" in refused[0]["last_error"]
        assert hub.query("SELECT COUNT(*) AS n FROM campaign_posts WHERE uri = %s", other["id"]) == [{"n": 0}]
    finally:
        relay.stop()
