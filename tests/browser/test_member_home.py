"""In Chromium: a plain member signs in by the link their server received, and uses their page at 390 px and 1280 px."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, describe
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
LINK_RE = re.compile(r"https?://[^\s\"<>]+/login/link/[A-Za-z0-9_-]+")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def sign_in_link(hub, peer, page, actor_id: str, name: str) -> str:
    """Ask for a link on the sign-in page; the link from the DM the peer received."""
    page.goto(hub.base + "/login")
    page.get_by_label("Your fediverse handle").fill(f"@{name}@{peer.domain}")
    page.get_by_role("button", name="Send me a sign-in link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your messages"
    dms = wait_until_sync(lambda: [r for r in received(peer, "Create") if r["activity"]["object"].get("to") == [actor_id]
                                   and "/login/link/" in r["activity"]["object"].get("content", "")],
                          timeout=30, message="the sign-in DM")
    return LINK_RE.search(dms[-1]["activity"]["object"]["content"]).group(0)


@pytest.mark.parametrize("size", list(SIZES))
def test_member_home_at_phone_and_desktop_sizes(hub_factory, peer_factory, browser, axe, size) -> None:
    """The member's page fits the screen, passes axe, and its switches, withdraw and leave work in the browser."""
    # Given a group with a campaign and a call, and bob who joined from his Mastodon-like server and answered
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid Network of the Riverside Neighbourhoods")
    hub.cli("campaign", "create", "aid", "Flood relief", "--slug", "flood", "--hashtag", "flood2026")
    hub.cli("group", "create", "books", "--name", "Book Swap")
    hub.start()
    peer = peer_factory()
    bob = peer.control("actors", {"name": "bob"})
    for slug in ("aid", "books"):
        peer.control("follow", {"actor": "bob", "target": f"{slug}@{hub.domain}"})
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="bob's Accepts")
    hub.cli("call", "create", "aid", "--what", "Fill sandbags at the river bridge", "--needed", "2")
    question = wait_until_sync(lambda: [a["activity"]["object"] for a in received(peer, "Create")
                                        if a["activity"]["object"]["type"] == "Question"], timeout=20, message="the call")[0]
    peer.control("post", {"actor": "bob", "content": "I'm in!", "in_reply_to": question["id"], "mentions": [hub.group_url("aid")]})
    wait_until_sync(lambda: hub.query("SELECT id FROM signups"), timeout=20, message="bob's answer")

    context = browser.new_context(locale="en-GB", viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # When bob signs in with the link from his DM, he lands on his page
        link = sign_in_link(hub, peer, page, bob["id"], "bob")
        page.goto(link)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(hub.base + "/me")
        assert page.get_by_role("heading", level=1).inner_text() == "My page"
        groups = page.get_by_role("region", name="My groups")
        assert groups.get_by_role("link", name="Book Swap").count() == 1
        assert page.get_by_role("link", name="Fill sandbags at the river bridge").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wider than the screen"
        assert not axe(page), describe(axe(page))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"member-home-{size}.png"), full_page=True)

        # He switches the group's alerts on and the campaign's off
        page.get_by_role("button", name="Switch on alerts from Mutual Aid Network of the Riverside Neighbourhoods").click()
        assert "are on" in page.get_by_role("status").first.inner_text()
        page.get_by_role("button", name="Switch off alerts of the campaign Flood relief").click()
        assert "Alerts of the campaign Flood relief are off." in page.get_by_role("status").first.inner_text()
        assert page.get_by_role("button", name="Switch on alerts of the campaign Flood relief").count() == 1
        # He withdraws his answer
        page.get_by_role("button", name="Withdraw from Fill sandbags at the river bridge").click()
        assert "You withdrew" in page.get_by_role("status").first.inner_text()
        assert hub.query("SELECT id FROM signups") == []
        # He chooses Spanish: the page follows
        page.get_by_role("link", name="Change the language or the time zone").click()
        page.get_by_role("combobox", name="Language").select_option("es")
        page.get_by_role("button", name="Save the preferences").click()
        assert page.locator("html").get_attribute("lang") == "es"
        page.goto(f"{hub.base}/me")
        # He leaves the book swap (Spanish buttons now); his server gets the Reject
        page.locator(".me-groups > li", has_text="Book Swap").locator("button.danger").click()
        wait_until_sync(lambda: received(peer, "Reject"), timeout=20, message="the Reject")
        assert page.get_by_role("link", name="Book Swap").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert not axe(page), describe(axe(page))
        assert errors == []
    finally:
        context.close()
