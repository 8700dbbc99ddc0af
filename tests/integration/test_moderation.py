"""Moderation across two hub processes and the Mastodon-like peer: bans, removals, reports, members-only posts, rate limits."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]

AS = {"Accept": "application/activity+json"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def carrying(peer, text: str) -> list[dict]:
    """Every delivery the peer received (valid or not, any inbox) whose body contains ``text``."""
    return [r for r in peer.control("received") if text in (r.get("body") or "")]


def object_id(activity: dict) -> str | None:
    """The id of an activity's object (embedded or a reference)."""
    obj = activity.get("object")
    return obj if isinstance(obj, str) else (obj or {}).get("id")


def test_moderation_across_hubs_and_the_mastodon_like_peer(hub_factory, peer_factory):
    """Ban, removal, Flag, members-only privacy and the inbox rate limit, each seen from the other side."""
    # Given hub A (open group climate, private group circle; 20 inbox POSTs per actor and minute),
    # hub B whose group berlin follows climate and relays its posts, and a Mastodon-like server
    a = hub_factory("a", HUB_INBOX_RATE_PER_ACTOR="20")
    b = hub_factory("b")
    def prepare_a() -> None:
        a.cli("group", "create", "climate", "--name", "Climate Action")
        a.cli("group", "create", "circle", "--name", "Inner Circle", "--private")
        a.start()

    def prepare_b() -> None:
        b.cli("group", "create", "berlin", "--name", "Berlin Climate")
        b.start()

    with ThreadPoolExecutor(3) as pool:  # the CLI's start-up time dominates: run the two hubs' set-up side by side
        setups = [pool.submit(prepare_a), pool.submit(prepare_b), pool.submit(peer_factory)]
        peer = setups[2].result()
        for setup in setups[:2]:
            setup.result()
    alice = peer.control("actors", {"name": "alice"})
    bob = peer.control("actors", {"name": "bob"})
    carol = peer.control("actors", {"name": "carol"})
    dave = peer.control("actors", {"name": "dave"})
    climate, circle = a.group_url("climate"), a.group_url("circle")

    b.cli("group", "follow", "berlin", f"climate@{a.domain}", "--relay")
    for name in ("alice", "bob"):
        assert peer.control("follow", {"actor": name, "target": f"climate@{a.domain}"})["status"] == 202
    for name in ("alice", "carol"):  # carol's request stays pending: a non-member on a member's server
        assert peer.control("follow", {"actor": name, "target": f"circle@{a.domain}"})["status"] == 202
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=30, interval=0.2, message="alice and bob joined climate")
    a.cli("member", "approve", "circle", f"alice@{peer.domain}")
    wait_until_sync(lambda: len(received(peer, "Accept")) == 3, timeout=30, interval=0.2, message="alice joined circle")
    wait_until_sync(lambda: a.get("/groups/climate/followers", headers=AS).json()["totalItems"] == 3, timeout=30,
                    interval=0.2, message="berlin's follow of climate accepted")

    # A public post to climate reaches the peer as the group's boost and berlin's page on hub B
    rally = peer.control("post", {"actor": "alice", "content": "Rally on Saturday!", "mentions": [climate]})
    wait_until_sync(lambda: [r for r in received(peer, "Announce") if object_id(r["activity"]) == rally["note_id"]],
                    timeout=30, interval=0.2, message="climate boosted alice's post")
    wait_until_sync(lambda: "Rally on Saturday!" in b.get("/groups/berlin").text, timeout=30, interval=0.2,
                    message="hub B shows the relayed post")

    # A followers-only post to the private group: the group's own Note, to alice's personal inbox only
    secret = peer.control("post", {"actor": "alice", "content": "Secret plan: meet at the bridge", "visibility": "followers",
                                   "mentions": [circle]})
    assert secret["note"]["to"] == [f"{alice['id']}/followers"]
    creates = wait_until_sync(lambda: [r for r in received(peer, "Create") if r["activity"]["actor"] == circle],
                              timeout=30, interval=0.2, message="circle's members-only Note")
    note = creates[0]["activity"]["object"]
    assert note["attributedTo"] == circle and note["to"] == [f"{circle}/followers"] and not note["cc"]
    assert PUBLIC not in json.dumps(creates[0]["activity"])

    # A Flag from the peer's instance actor about alice's post lands in climate's reports queue
    flag = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{peer.base}/reports/1", "type": "Flag",
            "actor": f"{peer.base}/actor", "content": "Looks like a spam link", "object": [alice["id"], rally["note_id"]],
            "to": [alice["id"]]}
    assert peer.control("send", {"actor": f"{peer.base}/actor", "inbox": f"{a.base}/inbox", "activity": flag})["status"] == 202

    # Ban bob: the Block reaches his inbox; his next post is refused with a Reject and never boosted
    a.cli("member", "remove", "climate", f"bob@{peer.domain}", "--ban", "--reason", "harassment", "--until", "7d")
    blocks = wait_until_sync(lambda: received(peer, "Block"), timeout=30, interval=0.2, message="the Block")
    block = blocks[0]["activity"]
    assert (blocks[0]["path"], block["actor"], block["object"], block["target"]) == ("/users/bob/inbox", climate, bob["id"], climate)
    assert block["summary"] == "harassment" and block.get("endTime")
    spam = peer.control("post", {"actor": "bob", "content": "You will regret this", "mentions": [climate]})
    wait_until_sync(lambda: [r for r in received(peer, "Reject") if object_id(r["activity"]) == spam["create_id"]],
                    timeout=30, interval=0.2, message="Reject of the banned member's post")

    # Remove alice's post: the peer gets the Undo of the boost, and the post leaves hub B's view of the group
    a.cli("post", "remove", rally["note_id"], "--group", "climate", "--reason", "spam link")
    wait_until_sync(lambda: [r for r in received(peer, "Undo") if object_id(r["activity"]["object"]) == rally["note_id"]],
                    timeout=30, interval=0.2, message="Undo of the boost")
    wait_until_sync(lambda: "Rally on Saturday!" not in b.get("/groups/berlin").text, timeout=30, interval=0.2,
                    message="hub B dropped the removed post")
    assert "Rally on Saturday!" not in a.get("/groups/climate").text
    assert not [r for r in received(peer, "Announce") if object_id(r["activity"]) == spam["note_id"]]

    # The reports queue has the Flag; the public log shows the ban and the removal with reasons, no reporter
    reports = a.cli_json("report", "list", "climate")
    assert [(r["reporter"], r["target"], r["objects"], r["comment"]) for r in reports] == [
        (f"{peer.base}/actor", alice["id"], [rally["note_id"]], "Looks like a spam link")]
    log = a.cli_json("moderation", "log", "climate", "--public")
    assert {(e["action"], e["target"], e["reason"]) for e in log} >= {
        ("ban", bob["id"], "harassment"), ("remove_post", rally["note_id"], "spam link")}
    assert f"{peer.base}/actor" not in json.dumps(log)

    # The members-only post reached only alice's personal inbox: not the shared inbox, not carol, not hub B
    assert {r["path"] for r in carrying(peer, "Secret plan")} == {"/users/alice/inbox"}
    note_path = note["id"].removeprefix(a.base)
    post_id = note_path.rsplit("/", 1)[1]
    pages = [(a, "/"), (a, "/groups/circle"), (a, "/groups/climate"), (a, f"/posts/{post_id}"), (a, "/groups/circle/feed.rss"),
             (a, "/groups/circle/feed.atom"), (a, "/groups/climate/feed.rss"), (b, "/"), (b, "/groups/berlin")]
    for hub, path in pages:
        assert "Secret plan" not in hub.get(path).text, path
    for path in ("/groups/circle/outbox?page=true", "/groups/circle/featured", note_path):
        response = a.get(path, headers=AS)
        assert "Secret plan" not in response.text, path
    assert a.get(note_path, headers=AS).status_code == 401
    assert peer.control("fetch", {"url": note["id"], "actor": "carol"})["status"] == 404
    assert peer.control("fetch", {"url": note["id"], "actor": "dave"})["status"] == 404
    member_view = peer.control("fetch", {"url": note["id"], "actor": "alice"})
    assert member_view["status"] == 200 and "Secret plan" in member_view["body"]

    # The inbox rate limit: dave's burst gets 429 with Retry-After, and after waiting he is heard again
    def like(n: int) -> dict:
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{dave['id']}#likes/{n}", "type": "Like",
                    "actor": dave["id"], "object": note["id"]}
        return peer.control("send", {"actor": "dave", "inbox": f"{a.base}/inbox", "activity": activity})

    statuses = []
    while len(statuses) < 60 and (not statuses or statuses[-1]["status"] != 429):
        statuses.append(like(len(statuses)))
    assert [s["status"] for s in statuses[:20]] == [202] * 20
    assert statuses[-1]["status"] == 429, "the burst never hit the limit"
    retry_after = int({k.lower(): v for k, v in statuses[-1]["headers"].items()}["retry-after"])
    assert 1 <= retry_after <= 3
    time.sleep(retry_after)
    assert like(100)["status"] == 202
