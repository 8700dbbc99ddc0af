"""Campaigns end to end with real processes: a hub, the Mastodon-like peer and a test relay.

Everything a member does happens from the Mastodon-like server (follow, vote, reply, post, direct
message); organisers use the hub's CLI; what members see is what their server received.
"""

from __future__ import annotations

import pytest

from tests.peers.relay import launch_relay
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded, as activities."""
    return [r["activity"] for r in peer.control("received", type=kind) if r["valid"]]


def direct_messages(peer, actor_id: str, text: str) -> list[dict]:
    """Direct messages (Create of a Note addressed only to ``actor_id``) containing ``text``."""
    return [a["object"] for a in received(peer, "Create")
            if a["object"].get("to") == [actor_id] and text in a["object"].get("content", "")]


def pending_posts(hub) -> list[dict]:
    """Gathered posts waiting for approval: [{id, uri}]."""
    return hub.query("SELECT id, uri FROM campaign_posts WHERE state = 'pending' ORDER BY id")


def page_with(hub, path: str, *texts: str) -> str | None:
    """The hub's page at ``path`` once it contains every one of ``texts``, else None."""
    page = hub.get(path).text
    return page if all(text in page for text in texts) else None


def test_call_board_alerts_and_impact_from_mastodon(hub_factory, peer_factory):
    """Members answer a call by vote and by reply, post a need and an offer, opt in to alerts; impact agrees."""
    # Given a hub with a group and a campaign, and a Mastodon-like server with two members and a stranger
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("campaign", "create", "aid", "Flood relief", "--slug", "flood", "--hashtag", "flood2026",
            "--goal", "Get everyone through the flood", "--donation-url", "https://give.example/flood", "--target", "5000",
            "--unit", "EUR")
    hub.start()
    peer = peer_factory()
    alice = peer.control("actors", {"name": "alice"})
    bob = peer.control("actors", {"name": "bob"})
    peer.control("actors", {"name": "carol"})
    group_url = hub.group_url("aid")
    for name in ("alice", "bob"):
        peer.control("follow", {"actor": name, "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="two Accepts")

    # When organisers publish a call for two people, the members' server gets the group's Question
    hub.cli("call", "create", "aid", "--what", "Fill sandbags", "--where", "River bridge", "--when", "2026-12-05T09:00", "--zone", "Europe/Lisbon",
            "--needed", "2", "--campaign", "flood")
    questions = wait_until_sync(lambda: [a["object"] for a in received(peer, "Create") if a["object"]["type"] == "Question"],
                                timeout=20, message="the call as a Question")
    question = questions[0]
    assert question["attributedTo"] == group_url and question["oneOf"][0]["name"] == "I'm in"
    assert "Fill sandbags" in question["content"] and f"{hub.base}/groups/aid/calls/" in question["content"]
    # And alice votes in the poll, bob replies "I'm in", carol (not a member) replies "count me in"
    assert peer.control("vote", {"actor": "alice", "question": question["id"]})["status"] == 202
    peer.control("post", {"actor": "bob", "content": "I'm in!", "in_reply_to": question["id"], "mentions": [group_url]})
    peer.control("post", {"actor": "carol", "content": "count me in", "in_reply_to": question["id"], "mentions": [group_url]})
    call_path = "/groups/aid/calls/" + question["url"].rsplit("/", 1)[1]
    page = wait_until_sync(lambda: page_with(hub, call_path, "2 of 2 signed up", "not a member also answered"), timeout=20,
                           message="two members and one other signed up")
    assert "2 members signed up" in page and "Alice" not in page and "Carol" not in page  # counts, not voters
    # Then each gets a direct message from the group confirming it
    wait_until_sync(lambda: direct_messages(peer, alice["id"], "Fill sandbags") and direct_messages(peer, bob["id"], "Fill sandbags"),
                    timeout=20, message="confirmations")

    # When alice posts a need and bob an offer (ordinary posts mentioning the group), the board matches them
    peer.control("post", {"actor": "alice", "content": "need: drinking water, north district", "mentions": [group_url]})
    peer.control("post", {"actor": "bob", "content": "offer: 40 litres of drinking water for the north district",
                          "mentions": [group_url]})
    wait_until_sync(lambda: "40 litres of drinking water" in hub.get("/groups/aid/board").text, timeout=20,
                    message="the need and the offer on the board")
    match = hub.cli_json("board", "list", "aid")["matches"][0]  # what an organiser sees
    assert {"drinking", "water", "north", "district"} <= set(match["shared"])
    hub.cli("board", "met", str(match["need"]), "--with", str(match["offer"]))

    # When alice writes "alerts on" to the group in a direct message, she is told she will get alerts
    peer.control("post", {"actor": "alice", "content": "alerts on", "mentions": [group_url], "visibility": "direct"})
    wait_until_sync(lambda: direct_messages(peer, alice["id"], "Alerts on"), timeout=20, message="alerts on confirmed")
    # And an urgent alert reaches her as a direct message, and nobody else that way
    hub.cli("alert", "send", "aid", "Flood warning: leave the river district now", "--campaign", "flood")
    wait_until_sync(lambda: direct_messages(peer, alice["id"], "Flood warning"), timeout=20, message="the alert as a DM")
    assert direct_messages(peer, bob["id"], "Flood warning") == []
    public_alert = wait_until_sync(lambda: [a["object"] for a in received(peer, "Create")
                                            if "/objects/alert/" in a["object"]["id"]], timeout=20, message="the public alert")
    assert "https://www.w3.org/ns/activitystreams#Public" in public_alert[0]["cc"]

    # When alice posts with the campaign's hashtag, it is gathered on the campaign page
    peer.control("post", {"actor": "alice", "content": "Sandbags are at the bridge #flood2026", "mentions": [group_url]})
    wait_until_sync(lambda: "Sandbags are at the bridge" in hub.get("/groups/aid/campaigns/flood").text, timeout=20,
                    message="the hashtag post on the campaign page")

    # When the call is closed, members' servers get the closed Question
    hub.cli("call", "close", call_path.rsplit("/", 1)[1])
    wait_until_sync(lambda: [a for a in received(peer, "Update") if a["object"].get("closed")], timeout=20,
                    message="the closed Question")

    # Then the impact numbers agree with what happened, on the CLI and on the page
    [campaign] = hub.cli_json("campaign", "list", "aid")
    assert (campaign["signups"], campaign["needs_met"], campaign["calls_filled"], campaign["posts_gathered"]) == (2, 1, 1, 1)
    page = hub.get("/groups/aid/campaigns/flood").text
    assert "Flood warning: leave the river district now" in page and 'href="https://give.example/flood"' in page
    chart = hub.get("/groups/aid/campaigns/flood/impact.svg")
    assert chart.headers["content-type"].startswith("image/svg+xml") and "<svg" in chart.text
    # And the Question is served at its id as ActivityStreams, with the final count
    served = peer.control("fetch", {"url": question["id"]})
    assert served["status"] == 200 and served["json"]["votersCount"] == 2 and served["json"]["closed"]


def test_relay_brings_hashtag_posts_for_approval(hub_factory, peer_factory, tmp_path):
    """The hub follows a test relay; its Announces of hashtag posts wait for approval, then show on the page."""
    # Given a hub with a campaign, a relay and a Mastodon-like server whose users are not members
    hub = hub_factory("hub")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.cli("campaign", "create", "climate", "Heat", "--slug", "heat", "--hashtag", "heatwave")
    hub.start()
    relay = launch_relay(log_dir=str(tmp_path))
    try:
        peer = peer_factory()
        peer.control("actors", {"name": "dave"})
        peer.control("actors", {"name": "spammer"})
        # When the hub follows the relay, the relay accepts
        hub.cli("relay", "follow", relay.actor)
        wait_until_sync(lambda: relay.control("subscribers"), timeout=20, message="the relay took the Follow")
        wait_until_sync(lambda: hub.query("SELECT state FROM relay_subscriptions") == [{"state": "accepted"}], timeout=20,
                        message="relay accepted")
        follow = [r for r in relay.control("received") if r.get("type") == "Follow"][0]["activity"]
        assert follow["object"] == "https://www.w3.org/ns/activitystreams#Public" and follow["actor"] == f"{hub.base}/actor"
        # And the relay announces three public posts from the peer: two with the hashtag, one without
        good = peer.control("post", {"actor": "dave", "content": "Cooling centres open downtown #heatwave"})
        spam = peer.control("post", {"actor": "spammer", "content": "Buy cheap fans #heatwave"})
        other = peer.control("post", {"actor": "dave", "content": "Nice weather today"})
        for note in (good, spam, other):
            assert relay.control("announce", {"object": note["note_id"]})["statuses"] == [202]
        # Then the two hashtag posts wait for approval and are not on the page
        pending = wait_until_sync(lambda: len(p := pending_posts(hub)) == 2 and p, timeout=20, message="two pending relay posts")
        assert "Cooling centres" not in hub.get("/groups/climate/campaigns/heat").text
        by_uri = {p["uri"]: p["id"] for p in pending}
        # When organisers approve one and block the other's author
        hub.cli("campaign", "moderate", str(by_uri[good["note_id"]]), "approve")
        hub.cli("campaign", "moderate", str(by_uri[spam["note_id"]]), "block")
        # Then the approved post is on the campaign page (and in its feed), the blocked one nowhere
        page = hub.get("/groups/climate/campaigns/heat").text
        assert "Cooling centres open downtown" in page and "Buy cheap fans" not in page
        assert "Cooling centres open downtown" in hub.get("/groups/climate/campaigns/heat/feed.atom").text
        # And the spammer's next relayed post is not even held
        again = peer.control("post", {"actor": "spammer", "content": "More fans #heatwave"})
        relay.control("announce", {"object": again["note_id"]})
        path = again["note_id"].removeprefix(peer.base)
        wait_until_sync(lambda: [f for f in peer.control("fetches") if f["path"] == path], timeout=20, message="the hub fetched the post")
        assert hub.cli_json("campaign", "posts", "climate", "heat", "--state", "pending") == [] == pending_posts(hub)
    finally:
        relay.stop()
