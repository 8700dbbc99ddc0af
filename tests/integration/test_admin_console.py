"""End to end with a real hub process and the Mastodon-like peer: an administrator suspends a group in the
browser console (its members' server is told, the group stops sharing), lifts the suspension (it shares again)
and deletes it (the actor's Delete federates); every step is in the administrators' log."""

from __future__ import annotations

import pytest

from tests.integration.test_members import Browser, direct_messages, received
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "a long enough password"
GROUPS = "/console/admin/groups"


def actor_updates(peer, group_url: str) -> list[dict]:
    """Valid Updates of the group's actor the peer received, oldest first."""
    return [r for r in received(peer, "Update") if r["activity"]["object"].get("id") == group_url]


def test_suspension_and_deletion_from_the_console_federate(hub_factory, peer_factory):
    """Suspend -> Update marked suspended, 410 pages, nothing shared; unsuspend -> Update unmarked, shared again;
    delete -> the actor's Delete and a direct message naming the administrators."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("admin", "create", "root", "--password-stdin", input_text=f"{PASSWORD}\n")
    hub.start()
    peer = peer_factory()
    alice = peer.control("actors", {"name": "alice"})
    peer.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: received(peer, "Accept"), timeout=30, message="alice's Accept")
    group_url = hub.group_url("aid")
    browser = Browser(hub)
    signed_in = browser.post("/login/password", {"username": "root", "password": PASSWORD}, token_from="/login")
    assert signed_in.status_code == 303

    # When the administrator suspends the group in the console
    answer = browser.post(f"{GROUPS}/suspend", {"slug": "aid", "reason": "spam network"}, token_from=GROUPS)
    assert answer.status_code == 303
    # Then alice's server gets the group's Update marked suspended, and the group's pages say so with 410
    update = wait_until_sync(lambda: actor_updates(peer, group_url), timeout=30, message="the suspension Update")[0]
    assert update["activity"]["object"]["suspended"] is True and update["signer"] == group_url
    page = hub.get("/groups/aid")
    assert page.status_code == 410 and "spam network" in page.text
    assert hub.get("/groups/aid", headers={"Accept": "application/activity+json"}).status_code == 410
    # And what alice sends to its inbox meanwhile is not shared (mentioning it fails: its actor answers 410)
    muted = peer.control("post", {"actor": "alice", "content": "Anyone there?", "to": [group_url],
                                  "inbox": f"{group_url}/inbox"})
    handled = wait_until_sync(lambda: hub.query("SELECT state, last_error FROM inbox_items WHERE body LIKE %s AND state <> 'pending'",
                                                "%Anyone there?%"), timeout=30, message="the hub handling her post")
    assert handled[0]["state"] == "ignored", handled

    # When the suspension is lifted, her server is told and her next post is shared (only that one)
    assert browser.post(f"{GROUPS}/unsuspend", {"slug": "aid"}, token_from=GROUPS).status_code == 303
    wait_until_sync(lambda: len(actor_updates(peer, group_url)) == 2, timeout=30, message="the Update lifting it")
    assert actor_updates(peer, group_url)[1]["activity"]["object"]["suspended"] is False
    assert hub.get("/groups/aid").status_code == 200
    shared = peer.control("post", {"actor": "alice", "content": "We are back!", "mentions": [group_url]})
    announces = wait_until_sync(lambda: received(peer, "Announce"), timeout=30, message="the group's Announce")
    assert [a["activity"]["object"] for a in announces] == [shared["note_id"]]
    assert muted["note_id"] not in [a["activity"]["object"] for a in announces]
    assert "Anyone there?" not in hub.get("/groups/aid").text and "We are back!" in hub.get("/groups/aid").text

    # When the administrator deletes the group (its handle typed twice)
    deleted = browser.post(f"{GROUPS}/delete", {"slug": "aid", "confirm": "aid"}, token_from=GROUPS)
    assert deleted.status_code == 303
    deletes = wait_until_sync(lambda: received(peer, "Delete"), timeout=30, message="the Delete of the group")
    assert deletes[0]["activity"]["object"] == group_url and deletes[0]["signer"] == group_url
    dm = wait_until_sync(lambda: direct_messages(peer, alice["id"], "was deleted by the hub"), timeout=30,
                         message="the DM telling alice")
    assert "administrators" in dm[0]["content"]
    assert hub.get("/groups/aid").status_code == 410

    # And the administrators' log has every step
    log = browser.get("/console/admin/log").text
    for entry in ("group suspended", "suspension lifted", "group deleted", "spam network"):
        assert entry in log
