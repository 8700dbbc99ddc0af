"""In Chromium against a real `hub serve` and the Mastodon-like peer: a visitor, an organiser, accessibility."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import describe
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
LINK_RE = re.compile(r"https?://[^\s\"<>]+/login/link/[A-Za-z0-9_-]+")


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def members(hub, slug: str) -> dict[str, dict]:
    """The group's memberships keyed by actor URI."""
    return {m["account"]: m for m in hub.cli_json("member", "list", slug)}


def test_visitor_browses_and_joins_from_their_instance(hub_factory, peer_factory, page, axe) -> None:
    """A visitor finds a group in the directory, reads it, and "join from your instance" sends them to their server."""
    # Given a hub with a group that has a member and a post, and a Mastodon-like server
    hub = hub_factory("hub")
    hub.cli("group", "create", "climate", "--name", "Climate Action", "--summary", "We act on **climate**.")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "alice"})
    peer.control("actors", {"name": "visitor"})
    peer.control("follow", {"actor": "alice", "target": f"climate@{hub.domain}"})
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="alice's Accept")
    peer.control("post", {"actor": "alice", "content": "Rally on Saturday!", "mentions": [hub.group_url("climate")]})
    wait_until_sync(lambda: "Rally on Saturday!" in hub.get("/groups/climate").text, timeout=20, message="post shown")

    # When the visitor opens the directory
    page.goto(hub.base + "/")
    assert page.title().startswith("Groups")
    entry = page.locator(".directory li", has_text="Climate Action")
    assert "1 member" in entry.inner_text()
    assert not axe(page), describe(axe(page))

    # and follows the link to the group
    entry.get_by_role("link", name="Climate Action").click()
    page.wait_for_url(f"{hub.base}/groups/climate")
    assert page.get_by_role("heading", level=1).inner_text() == "Climate Action"
    assert page.locator(".post", has_text="Rally on Saturday!").count() == 1
    assert f"@alice@{peer.domain}" in page.locator(".post").first.inner_text()
    assert page.locator("#handle").inner_text() == f"@climate@{hub.domain}"
    assert not axe(page), describe(axe(page))

    # A malformed handle gets a clear error, with the field marked invalid
    page.get_by_label("Your fediverse handle").fill("not-a-handle")
    page.get_by_role("button", name="Join").click()
    assert "is not a fediverse handle" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Your fediverse handle").get_attribute("aria-invalid") == "true"

    # When they type their handle, they land on their server's authorize_interaction page with the group's URI
    page.get_by_label("Your fediverse handle").fill(f"@visitor@{peer.domain}")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(re.compile(re.escape(peer.base) + r"/authorize_interaction\?uri="))
    assert page.locator(".uri").inner_text() == hub.group_url("climate")
    assert peer.control("interactions") == [hub.group_url("climate")]
    assert page.console_errors == []


def test_organiser_signs_in_by_link_approves_invites_and_removes(hub_factory, peer_factory, page, axe) -> None:
    """An organiser signs in through the link sent to them by DM, creates a group, approves a member, invites, removes a post."""
    hub = hub_factory("hub", HUB_OPEN_GROUP_CREATION="true")
    hub.start()
    peer = peer_factory()
    olivia = peer.control("actors", {"name": "olivia"})
    for name in ("bob", "dana"):
        peer.control("actors", {"name": name})

    # Sign in: the organiser types her handle; her server receives a direct message with a link
    page.goto(hub.base + "/login")
    assert not axe(page), describe(axe(page))
    page.get_by_label("Your fediverse handle").fill(f"@olivia@{peer.domain}")
    page.get_by_role("button", name="Send me a sign-in link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your messages"
    dms = wait_until_sync(lambda: [r for r in received(peer, "Create") if r["activity"]["object"].get("to") == [olivia["id"]]],
                          timeout=30, message="the sign-in DM")
    link = LINK_RE.search(dms[0]["activity"]["object"]["content"]).group(0)
    assert dms[0]["activity"]["object"]["cc"] == [] and dms[0]["path"].endswith("/users/olivia/inbox")

    # Opening the link asks to confirm; confirming signs her in
    page.goto(link)
    assert f"olivia@{peer.domain}" in page.locator("main").inner_text()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(hub.base + "/console")
    assert "You are signed in." in page.get_by_role("status").first.inner_text()
    assert not axe(page), describe(axe(page))

    # She creates a group where organisers approve members
    page.get_by_label("Handle", exact=True).fill("housing")
    page.get_by_label("Name", exact=True).fill("Housing For All")
    page.get_by_label("Organisers approve each new member").check()
    page.get_by_role("button", name="Create the group").click()
    page.wait_for_url(hub.base + "/console/groups/housing")
    assert not axe(page), describe(axe(page))

    # Bob asks to join; she approves him from the members page, and bob's server gets the Accept
    peer.control("follow", {"actor": "bob", "target": f"housing@{hub.domain}"})
    wait_until_sync(lambda: any(m["state"] == "pending" for m in members(hub, "housing").values()), timeout=20,
                    message="bob's pending request")
    page.get_by_role("navigation", name="Group console").get_by_role("link", name="Members").click()
    assert not axe(page), describe(axe(page))
    page.get_by_role("button", name=f"Approve bob@{peer.domain}").click()
    assert "is now a member" in page.get_by_role("status").first.inner_text()
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="the Accept for bob")

    # She invites dana; dana's server receives the Invite
    page.get_by_role("navigation", name="Group console").get_by_role("link", name="Invites").click()
    page.get_by_label("Handle of the person or group").fill(f"@dana@{peer.domain}")
    page.get_by_label("Message (optional)").fill("Come and help!")
    page.get_by_role("button", name="Send the invite").click()
    assert "is on its way" in page.get_by_role("status").first.inner_text()
    assert f"dana@{peer.domain}" in page.locator("#sent ~ ul").inner_text()
    wait_until_sync(lambda: received(peer, "Invite"), timeout=20, message="the Invite for dana")
    assert not axe(page), describe(axe(page))

    # Bob posts to the group; she removes the post, and members' servers are told to undo the boost
    post = peer.control("post", {"actor": "bob", "content": "Buy cheap watches", "mentions": [hub.group_url("housing")]})
    wait_until_sync(lambda: received(peer, "Announce"), timeout=20, message="the group's Announce")
    page.get_by_role("navigation", name="Group console").get_by_role("link", name="Posts").click()
    item = page.locator(".post", has_text="Buy cheap watches")
    item.get_by_label("Reason for removing").fill("spam")
    item.get_by_role("button", name="Remove post").click()
    assert "The post was removed." in page.get_by_role("status").first.inner_text()
    undo = wait_until_sync(lambda: received(peer, "Undo"), timeout=20, message="Undo of the Announce")
    assert undo[0]["activity"]["object"]["object"] == post["note_id"]
    assert "Buy cheap watches" not in hub.get("/groups/housing").text
    assert page.console_errors == []


def test_language_switch_and_phone_layout(hub_factory, browser, axe) -> None:
    """Spanish is picked from Accept-Language, the switch changes it, and pages fit a phone screen."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    context = browser.new_context(locale="es-ES", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(hub.base + "/groups/climate")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("heading", name="Únete desde tu instancia").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert not axe(page), describe(axe(page))
        page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
        page.wait_for_url(hub.base + "/groups/climate")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="Join from your instance").count() == 1
    finally:
        context.close()


def test_axe_check_is_not_vacuous(page, axe) -> None:
    """The accessibility check does report serious problems when a page has them."""
    page.set_content('<html><body><main><img src="x.png"><input type="text"><button></button></main></body></html>')
    found = {v["id"] for v in axe(page)}
    assert {"image-alt", "button-name"} <= found, found
