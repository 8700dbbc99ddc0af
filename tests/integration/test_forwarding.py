"""End to end with two Mastodon-like servers: a member's edit and deletion of a post the group shared reach the
other members' servers, which apply them on the author's Linked Data signature, as Mastodon does."""

from __future__ import annotations

import json

import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def shown(peer, note_id: str) -> dict | None:
    """The status as the peer's users see it, or None."""
    return next((s for s in peer.control("timeline") if s["id"] == note_id), None)


def settled(hub) -> bool:
    """Nothing left to do: every event handled and every delivery sent."""
    events = hub.query("SELECT COUNT(*) AS n FROM events WHERE state NOT IN ('done', 'dead')")[0]["n"]
    return events == 0 and hub.queued_deliveries() == 0


def two_members(hub_factory, peer_factory) -> tuple:
    """An open group with alice on one Mastodon-like server and bob on another, both accepted: (hub, first, second, group)."""
    hub = hub_factory("a")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    first, second = peer_factory(), peer_factory()
    first.control("actors", {"name": "alice"})
    second.control("actors", {"name": "bob"})
    for peer, name in ((first, "alice"), (second, "bob")):
        assert peer.control("follow", {"actor": name, "target": f"climate@{hub.domain}"})["status"] == 202
    wait_until_sync(lambda: all(f["state"] == "accepted" for p in (first, second) for f in p.control("follows")),
                    timeout=30, message="both members accepted")
    return hub, first, second, hub.group_url("climate")


def test_edit_and_delete_of_a_shared_post_reach_members_on_other_servers(hub_factory, peer_factory):
    """Member A on server 1 edits, then deletes, a post the group shared; member B on server 2 sees the edit, then loses it."""
    # Given an open group with alice on one Mastodon-like server and bob on another
    hub, first, second, group = two_members(hub_factory, peer_factory)

    # When alice mentions the group in a public post (LD-signed, as Mastodon signs it), bob's server shows the group's boost
    post = first.control("post", {"actor": "alice", "content": "Rally on Saturday!", "mentions": [group]})
    assert post["activity"]["signature"]["type"] == "RsaSignature2017"
    status = wait_until_sync(lambda: shown(second, post["note_id"]), timeout=30, message="the boosted post on server 2")
    assert status["actor"].endswith("/users/alice") and status["boosted_by"] == [group]

    # When alice edits it, bob's server gets her Update byte for byte from the group, verifies her signature and applies it
    edit = first.control("edit", {"actor": "alice", "note_id": post["note_id"], "content": "Rally moved to Sunday!"})
    wait_until_sync(lambda: "Sunday" in (shown(second, post["note_id"]) or {}).get("content", ""), timeout=30,
                    message="the edit on server 2")
    [update] = [r for r in second.control("received", type="Update") if r["valid"]]
    assert update["signer"] == group and update["activity"]["actor"].endswith("/users/alice")
    assert update["ld_verified"] is True and update["body"] == json.dumps(edit["activity"])
    assert shown(second, post["note_id"])["edited"]
    # And alice's own server is not sent its own activity back
    assert not [r for r in first.control("received", type="Update")]

    # When she deletes it, bob's server removes the status itself (the Undo of the boost alone would leave it)
    first.control("delete", {"actor": "alice", "note_id": post["note_id"]})
    wait_until_sync(lambda: shown(second, post["note_id"]) is None, timeout=30, message="the deletion on server 2")
    [delete] = [r for r in second.control("received", type="Delete") if r["valid"]]
    assert delete["signer"] == group and delete["ld_verified"] is True


def test_without_an_ld_signature_members_elsewhere_keep_the_old_text(hub_factory, peer_factory):
    """An edit sent without a Linked Data signature (secure mode) is not forwarded: bob's server keeps the old text."""
    hub, first, second, group = two_members(hub_factory, peer_factory)
    post = first.control("post", {"actor": "alice", "content": "Rally on Saturday!", "mentions": [group]})
    wait_until_sync(lambda: shown(second, post["note_id"]), timeout=30, message="the boosted post on server 2")

    first.control("edit", {"actor": "alice", "note_id": post["note_id"], "content": "Rally moved to Sunday!", "ld_sign": False})
    wait_until_sync(lambda: "Sunday" in hub.get("/groups/climate").text, timeout=30, message="the edit on the group page")
    wait_until_sync(lambda: settled(hub), timeout=30, message="the hub settled")
    assert "Saturday" in shown(second, post["note_id"])["content"]
    assert not second.control("received", type="Update")
