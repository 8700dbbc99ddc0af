"""End to end with the Mastodon-like peer: join, post, edit, delete, leave, closed groups, authorized fetch."""

from __future__ import annotations

import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def members(hub, slug: str) -> dict[str, dict]:
    """The group's memberships keyed by actor URI."""
    return hub.members(slug)


def test_follow_post_edit_delete_leave(hub_factory, peer_factory):
    """A Mastodon user joins an open group, posts by mention, the group boosts it; edits, deletes and leaving federate."""
    # Given a hub with an open group and a Mastodon-like server with two users
    hub = hub_factory("a")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    peer = peer_factory()
    alice = peer.control("actors", {"name": "alice"})
    peer.control("actors", {"name": "bob"})
    handle = f"climate@{hub.domain}"

    # When both follow the group, each gets an Accept and is a member
    for name in ("alice", "bob"):
        result = peer.control("follow", {"actor": name, "target": handle})
        assert result["status"] == 202, result
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="two Accepts")
    accepted = members(hub, "climate")
    assert accepted[alice["id"]]["state"] == "accepted"

    # When alice mentions the group in a public post, the peer's shared inbox gets one Announce of the note id
    post = peer.control("post", {"actor": "alice", "content": "Rally on Saturday!", "mentions": [hub.group_url("climate")]})
    announces = wait_until_sync(lambda: received(peer, "Announce"), timeout=20, message="the group's Announce")
    assert len(announces) == 1
    announce = announces[0]["activity"]
    assert announce["actor"] == hub.group_url("climate")
    assert announce["object"] == post["note_id"]
    assert "https://www.w3.org/ns/activitystreams#Public" in announce["cc"]
    assert announces[0]["signer"] == hub.group_url("climate")
    page = hub.get("/groups/climate").text
    assert "Rally on Saturday!" in page

    # When she edits it, the group page shows the new text
    peer.control("edit", {"actor": "alice", "note_id": post["note_id"], "content": "Rally moved to Sunday!"})
    wait_until_sync(lambda: "Rally moved to Sunday!" in hub.get("/groups/climate").text, timeout=20, message="edit shown")

    # When she deletes it, the group undoes its boost and the page drops it
    peer.control("delete", {"actor": "alice", "note_id": post["note_id"]})
    undo = wait_until_sync(lambda: received(peer, "Undo"), timeout=20, message="Undo of the Announce")
    assert undo[0]["activity"]["object"]["object"] == post["note_id"]
    assert "Rally moved" not in hub.get("/groups/climate").text

    # When alice leaves, her membership ends
    follow_id = [f for f in peer.control("follows") if f["actor"].endswith("/alice")][0]["id"]
    peer.control("unfollow", {"actor": "alice", "follow_id": follow_id, "target": hub.group_url("climate")})
    wait_until_sync(lambda: members(hub, "climate")[alice["id"]]["state"] == "left", timeout=20, message="alice left")


def test_closed_group_waits_for_approval_and_refuses_non_members(hub_factory, peer_factory):
    """A closed group holds the follow until an organiser approves; a non-member's post gets a Reject."""
    hub = hub_factory("a")
    hub.cli("group", "create", "housing", "--name", "Housing", "--closed")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "bob"})
    carol = peer.control("actors", {"name": "carol"})

    peer.control("follow", {"actor": "bob", "target": f"housing@{hub.domain}"})
    wait_until_sync(lambda: any(m["state"] == "pending" for m in members(hub, "housing").values()), timeout=20,
                    message="a pending join request")
    assert received(peer, "Accept") == []

    hub.cli("member", "approve", "housing", f"bob@{peer.domain}")
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="Accept after approval")

    peer.control("post", {"actor": "carol", "content": "spam", "mentions": [hub.group_url("housing")]})
    rejects = wait_until_sync(lambda: received(peer, "Reject"), timeout=20, message="Reject of a non-member's post")
    assert rejects[0]["activity"]["to"] == [carol["id"]]
    assert received(peer, "Announce") == []


def test_authorized_fetch_requires_signed_gets(hub_factory, peer_factory):
    """With HUB_AUTHORIZED_FETCH=true an unsigned GET of the group actor gets 401; the peer's signed GET gets it."""
    hub = hub_factory("a", HUB_AUTHORIZED_FETCH="true")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    peer = peer_factory()
    unsigned = hub.get("/groups/climate", headers={"Accept": "application/activity+json"})
    assert unsigned.status_code == 401
    assert hub.get("/actor", headers={"Accept": "application/activity+json"}).status_code == 200
    signed = peer.control("fetch", {"url": hub.group_url("climate")})
    assert signed["status"] == 200, signed
    assert signed["json"]["type"] == "Group"
