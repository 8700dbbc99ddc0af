"""End to end: a peer signing with RFC 9421 (Mastodon 4.5+) joins, posts and fetches from a real hub process."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def test_rfc9421_signed_posts_and_gets_are_accepted_and_tampered_ones_refused(hub_factory, peer_factory):
    """A Follow, a post and GETs signed with RFC 9421 only are taken by a real hub; a tampered POST gets 401."""
    hub = hub_factory("a", HUB_AUTHORIZED_FETCH="true")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    peer = peer_factory("--accept-rfc9421")
    alice = peer.control("actors", {"name": "alice"})
    group = hub.group_url("climate")
    inbox = f"{group}/inbox"

    # A Follow signed with RFC 9421 only (Signature-Input, Signature, Content-Digest) is taken: alice is a member
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{alice['id']}#follows/{uuid.uuid4()}",
              "type": "Follow", "actor": alice["id"], "object": group}
    tampered = peer.control("send", {"actor": "alice", "inbox": inbox, "activity": follow, "scheme": "rfc9421", "tamper": "signature"})
    assert tampered["status"] == 401, tampered
    sent = peer.control("send", {"actor": "alice", "inbox": inbox, "activity": follow, "scheme": "rfc9421"})
    assert sent["status"] == 202, sent
    wait_until_sync(lambda: hub.members("climate").get(alice["id"], {}).get("state") == "accepted", timeout=30,
                    message="alice accepted after an RFC 9421 Follow")
    [accept] = wait_until_sync(lambda: received(peer, "Accept"), timeout=30, message="the group's Accept")
    assert accept["signer"] == group

    # Her post, signed with RFC 9421, is shared: the peer gets the group's Announce of it
    note_id = f"{alice['id']}/statuses/{uuid.uuid4().hex[:8]}"
    note = {"id": note_id, "type": "Note", "attributedTo": alice["id"], "content": "<p>Rally on Saturday</p>",
            "to": [PUBLIC], "cc": [group], "tag": [{"type": "Mention", "href": group}], "published": "2026-12-04T10:00:00Z"}
    create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note_id}/activity", "type": "Create",
              "actor": alice["id"], "object": note, "to": note["to"], "cc": note["cc"]}
    assert peer.control("send", {"actor": "alice", "inbox": inbox, "activity": create, "scheme": "rfc9421"})["status"] == 202
    wait_until_sync(lambda: "Rally on Saturday" in hub.get("/groups/climate").text, timeout=30, message="the post shown")

    # A signed GET under authorized fetch is served with either scheme; the actor carries its FEP-521a key too
    for scheme in ("rfc9421", "cavage"):
        fetched = peer.control("fetch", {"url": group, "actor": "alice", "scheme": scheme})
        assert fetched["status"] == 200, (scheme, fetched)
        assert fetched["json"]["assertionMethod"][0]["type"] == "Multikey"
    assert peer.control("fetch", {"url": group, "sign": False})["status"] == 401
    assert json.dumps(hub.members("climate")).count('"accepted"') == 1


def test_the_hub_knocks_again_with_rfc9421_and_remembers_it_for_gets_and_posts(hub_factory, peer_factory):
    """A server that takes only RFC 9421: the hub's GET is refused once, then signed with RFC 9421; its POSTs start there."""
    hub = hub_factory("a")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    peer = peer_factory("--authorized-fetch", "--rfc9421-only")
    alice = peer.control("actors", {"name": "alice"})
    group = hub.group_url("climate")

    # alice (not a member) writes to the group; the note reaches the hub only as a reference, so the hub fetches it
    post = peer.control("post", {"actor": "alice", "content": "Who is in?", "cc": [group], "inbox": "http://127.0.0.1:9/inbox"})
    create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{post['note_id']}/activity2", "type": "Create",
              "actor": alice["id"], "object": post["note_id"], "to": [PUBLIC], "cc": [group]}
    assert peer.control("send", {"actor": "alice", "inbox": f"{group}/inbox", "activity": create})["status"] == 202
    path = post["note_id"].split(peer.domain, 1)[1]
    fetches = wait_until_sync(lambda: [f for f in peer.control("fetches") if f["path"] == path and f["valid"]], timeout=30,
                              message="the hub's signed GET of the note")
    tries = [(f["scheme"], f["valid"]) for f in peer.control("fetches") if f["path"] == path]
    assert tries == [("cavage", False), ("rfc9421", True)], tries
    assert fetches[0]["signer"].endswith("/actor")
    wait_until_sync(lambda: hub.query("SELECT signature_scheme FROM peers WHERE host = %s", peer.domain)
                    == [{"signature_scheme": "rfc9421"}], timeout=30, message="the scheme remembered")

    # the group's Reject of the non-member's post is then POSTed with RFC 9421 at once: no refused knock first
    wait_until_sync(lambda: received(peer, "Reject"), timeout=30, message="the Reject")
    inbox_posts = [(r["scheme"], r["valid"]) for r in peer.control("received")]
    assert inbox_posts and set(inbox_posts) == {("rfc9421", True)}, inbox_posts
