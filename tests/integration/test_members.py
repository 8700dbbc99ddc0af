"""End to end with real hub processes and the Mastodon-like peer: a plain member signs in by the link
sent to them as a direct message, withdraws an answer, switches alerts off, leaves; a group is deleted.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]
LINK_RE = re.compile(r"https?://[^\s\"<>]+/login/link/[A-Za-z0-9_-]+")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def direct_messages(peer, actor_id: str, text: str) -> list[dict]:
    """Direct messages (Create of a Note addressed only to ``actor_id``) containing ``text``."""
    return [a["activity"]["object"] for a in received(peer, "Create")
            if a["activity"]["object"].get("to") == [actor_id] and text in a["activity"]["object"].get("content", "")]


class Browser:
    """A cookie-keeping HTTP client on the hub that posts forms with the page's CSRF token."""

    def __init__(self, hub) -> None:
        self.client = httpx.Client(base_url=hub.base, timeout=15, trust_env=False, follow_redirects=False)

    def get(self, path: str) -> httpx.Response:
        """GET a page."""
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, *, token_from: str) -> httpx.Response:
        """POST a form with the CSRF token of the page at ``token_from``."""
        token = CSRF_RE.search(self.client.get(token_from).text).group(1)
        return self.client.post(path, data={"csrf_token": token, **(data or {})})


def sign_in_by_dm(hub, peer, browser: Browser, name: str, actor_id: str) -> None:
    """Ask for a link for @name@peer, read it from the DM the peer received, open it and confirm."""
    before = len(direct_messages(peer, actor_id, "/login/link/"))
    asked = browser.post("/login/link", {"handle": f"@{name}@{peer.domain}"}, token_from="/login")
    assert asked.status_code == 200 and "Check your messages" in asked.text
    dms = wait_until_sync(lambda: direct_messages(peer, actor_id, "/login/link/")[before:] or None, timeout=30,
                          message="the sign-in DM")
    link = LINK_RE.search(dms[0]["content"]).group(0).removeprefix(hub.base)
    landing = browser.get(link)
    assert landing.status_code == 200 and f"{name}@{peer.domain}" in landing.text
    confirmed = browser.post(link, token_from=link)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/me"


def test_plain_member_signs_in_withdraws_switches_alerts_off_and_leaves(hub_factory, peer_factory):
    """A Mastodon member who organises nothing signs in by DM link and manages their membership on /me."""
    # Given a hub with an open group, a campaign and a call, and bob who joined from a Mastodon-like server
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("campaign", "create", "aid", "Flood relief", "--slug", "flood", "--hashtag", "flood2026")
    hub.start()
    peer = peer_factory()
    bob = peer.control("actors", {"name": "bob"})
    peer.control("actors", {"name": "stranger"})
    group_url = hub.group_url("aid")
    peer.control("follow", {"actor": "bob", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="bob's Accept")
    hub.cli("call", "create", "aid", "--what", "Fill sandbags", "--needed", "2", "--campaign", "flood")
    question = wait_until_sync(lambda: [a["activity"]["object"] for a in received(peer, "Create")
                                        if a["activity"]["object"]["type"] == "Question"], timeout=20, message="the call")[0]
    peer.control("post", {"actor": "bob", "content": "I'm in!", "in_reply_to": question["id"], "mentions": [group_url]})
    wait_until_sync(lambda: hub.query("SELECT id FROM signups"), timeout=20, message="bob's answer")

    # When bob asks for a sign-in link, his server gets a DM with it; following it signs him in to /me
    browser = Browser(hub)
    sign_in_by_dm(hub, peer, browser, "bob", bob["id"])
    home = browser.get("/me")
    assert home.status_code == 200 and "Mutual Aid" in home.text and "Fill sandbags" in home.text
    # And a stranger's request gets the same answer but no DM
    asked = Browser(hub).post("/login/link", {"handle": f"@stranger@{peer.domain}"}, token_from="/login")
    assert asked.status_code == 200 and "Check your messages" in asked.text

    # When he withdraws his answer, the call counts nobody; withdrawing again says there is nothing to withdraw
    call_id = hub.query("SELECT id FROM calls")[0]["id"]
    assert browser.post(f"/me/calls/{call_id}/withdraw", token_from="/me").status_code == 303
    assert hub.query("SELECT id FROM signups") == []
    assert browser.post(f"/me/calls/{call_id}/withdraw", token_from="/me").status_code == 303
    assert "no sign-up to this call to withdraw" in browser.get("/me").text
    assert "Fill sandbags" not in browser.get("/me").text

    # When he switches the group's alerts on, an alert reaches him as a DM
    browser.post("/me/groups/aid/alerts", {"alerts": "on"}, token_from="/me")
    wait_until_sync(lambda: direct_messages(peer, bob["id"], "Alerts on"), timeout=20, message="alerts on confirmed")
    hub.cli("alert", "send", "aid", "First warning: water rising")
    wait_until_sync(lambda: direct_messages(peer, bob["id"], "First warning"), timeout=20, message="the first alert")
    # And when he switches the campaign's alerts off, its next alert does not reach him, the group's next does
    browser.post("/me/groups/aid/campaigns/flood/alerts", {"alerts": "off"}, token_from="/me")
    hub.cli("alert", "send", "aid", "Campaign warning: bridge closed", "--campaign", "flood")
    hub.cli("alert", "send", "aid", "Group warning: meeting moved")
    wait_until_sync(lambda: direct_messages(peer, bob["id"], "Group warning"), timeout=20, message="the group's alert")
    # (the campaign's alert was sent before the group's: had it gone to bob, it would be here by now)
    wait_until_sync(lambda: hub.queued_deliveries() == 0, timeout=20, message="the queue drained")
    assert direct_messages(peer, bob["id"], "Campaign warning") == []
    # When he switches the group's alerts off, nothing more reaches him
    browser.post("/me/groups/aid/alerts", {"alerts": "off"}, token_from="/me")
    wait_until_sync(lambda: direct_messages(peer, bob["id"], "Alerts off"), timeout=20, message="alerts off confirmed")
    hub.cli("alert", "send", "aid", "Last warning: stay home")
    wait_until_sync(lambda: [a for a in received(peer, "Create") if "Last warning" in a["activity"]["object"].get("content", "")
                             and a["activity"]["object"].get("to") != [bob["id"]]], timeout=20, message="the public alert")
    wait_until_sync(lambda: hub.queued_deliveries() == 0, timeout=20, message="the queue drained")
    assert direct_messages(peer, bob["id"], "Last warning") == []

    # When he leaves, his server gets the Reject of his Follow and drops the follow
    assert browser.post("/me/groups/aid/leave", token_from="/me").status_code == 303
    wait_until_sync(lambda: received(peer, "Reject"), timeout=20, message="the Reject ending the follow")
    follows = peer.control("follows")
    assert [f["state"] for f in follows if f["target"] == group_url] == ["rejected"]
    assert hub.members("aid")[bob["id"]]["state"] == "left"

    # And signing out ends the session: the cookie no longer opens /me
    cookie = browser.client.cookies.get("causeway_session")
    assert browser.post("/logout", token_from="/me").status_code == 303
    replay = httpx.get(f"{hub.base}/me", cookies={"causeway_session": cookie}, follow_redirects=False, trust_env=False)
    assert replay.status_code == 303


def test_deleting_a_group_federates_and_its_pages_answer_410(hub_factory, peer_factory):
    """hub group delete: members get a DM from the hub, their server the actor's Delete (it drops the follow)."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.start()
    peer = peer_factory()
    alice = peer.control("actors", {"name": "alice"})
    peer.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="alice's Accept")

    deleted = hub.cli("group", "delete", "aid", "--confirm", "aid")
    assert "1 members will be told" in deleted.stdout
    deletes = wait_until_sync(lambda: received(peer, "Delete"), timeout=30, message="the Delete of the group")
    assert deletes[0]["activity"]["object"] == deletes[0]["activity"]["actor"] == hub.group_url("aid")
    assert deletes[0]["signer"] == hub.group_url("aid")
    dm = wait_until_sync(lambda: direct_messages(peer, alice["id"], "was deleted by its organisers"), timeout=30,
                         message="the DM telling alice")
    assert dm[0]["attributedTo"] == f"{hub.base}/actor"
    assert [f["state"] for f in peer.control("follows")] == ["deleted"]
    assert hub.get("/groups/aid").status_code == 410
    assert hub.get("/groups/aid", headers={"Accept": "application/activity+json"}).status_code == 410
    # And nobody can find it to follow it again
    finger = hub.get("/.well-known/webfinger", params={"resource": f"acct:aid@{hub.domain}"})
    assert finger.status_code == 404
    with pytest.raises(httpx.HTTPStatusError):  # the peer cannot resolve the handle any more
        peer.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
