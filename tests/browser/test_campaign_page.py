"""In Chromium on a phone-sized screen (390×844): a campaign page, its call and its board, against a real hub."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe, keep_artifacts
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest):
    """A page in a fresh phone-sized context (touch, mobile); screenshot and HTML kept when the test fails."""
    context = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.errors = errors
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            keep_artifacts(page, request.node.name)
        context.close()


def fits_the_screen(page) -> bool:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_campaign_page_on_a_phone(hub_factory, peer_factory, phone, axe) -> None:
    """A visitor on a phone reads a campaign: alert, fundraising, impact numbers and chart, a call, its signups, the board."""
    # Given a hub with a campaign, a pinned alert, a call with one member signed up by poll vote
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("campaign", "create", "aid", "Flood relief", "--slug", "flood", "--hashtag", "flood2026",
            "--goal", "Get everyone through the flood", "--donation-url", "https://give.example/flood", "--target", "5000",
            "--unit", "EUR")
    hub.cli("campaign", "progress", "aid/flood", "1250")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "alice"})
    peer.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: peer.control("received", type="Accept"), timeout=20, message="alice's Accept")
    hub.cli("call", "create", "aid", "--what", "Fill sandbags", "--where", "River bridge", "--when", "2026-12-05T09:00", "--zone", "Europe/Lisbon",
            "--needed", "3", "--campaign", "flood")
    question = wait_until_sync(lambda: [r["activity"]["object"] for r in peer.control("received", type="Create")
                                        if r["activity"]["object"]["type"] == "Question"], timeout=20, message="the call")[0]
    peer.control("vote", {"actor": "alice", "question": question["id"]})
    hub.cli("alert", "send", "aid", "Flood warning: leave the river district now", "--campaign", "flood")
    wait_until_sync(lambda: "1 of 3 signed up" in hub.get("/groups/aid/campaigns/flood").text, timeout=20, message="the vote")

    # When a visitor opens the group's campaigns on a phone and follows the campaign's link
    page = phone
    page.goto(f"{hub.base}/groups/aid/campaigns")
    page.get_by_role("link", name="Flood relief").click()
    page.wait_for_url(f"{hub.base}/groups/aid/campaigns/flood")

    # Then the page reads top to bottom without sideways scrolling, alert first
    assert page.get_by_role("heading", level=1).inner_text() == "Flood relief"
    assert "Flood warning: leave the river district now" in page.locator(".alerts").inner_text()
    assert fits_the_screen(page)
    funds = page.locator("section.funds")
    assert "1250 of 5000 EUR raised" in funds.inner_text()
    assert page.locator("#funds-progress").get_attribute("value") == "1250"
    assert funds.get_by_role("link", name="Donate").get_attribute("href") == "https://give.example/flood"
    numbers = dict(zip(page.locator(".numbers .label").all_inner_texts(), page.locator(".numbers .number").all_inner_texts()))
    assert numbers["People signed up"] == "1" and numbers["Posts gathered"] == "0"
    chart = page.get_by_role("img", name="Bar chart of the numbers above")
    chart.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", chart.element_handle())
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert not axe(page), describe(axe(page))
    page.screenshot(path=str(hub.data_dir / "campaign-phone.png"), full_page=True)

    # When they tap the call, they see where and when, who signed up and how many are still needed
    page.get_by_role("link", name="Fill sandbags").tap()
    page.wait_for_url(f"{hub.base}/groups/aid/calls/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Fill sandbags"
    assert "River bridge" in page.locator("dl.facts").inner_text()
    status = page.locator(".status").inner_text()
    assert "1 of 3 signed up" in status and "2 still needed" in status
    who = page.get_by_role("region", name="Who signed up").inner_text()
    assert "1 member signed up" in who and "Alice" not in who  # votes are private: counts, not voters
    assert f"aid@{hub.domain}" in page.locator(".notice").inner_text()
    assert fits_the_screen(page)
    assert not axe(page), describe(axe(page))

    # And the crumbs lead back to the campaign, and on to the board
    page.get_by_role("link", name="Flood relief").tap()
    page.wait_for_url(f"{hub.base}/groups/aid/campaigns/flood")
    page.goto(f"{hub.base}/groups/aid/board")
    assert page.get_by_role("heading", level=1).inner_text() == "Mutual Aid: needs and offers"
    assert "Flood warning" in page.locator(".alerts").inner_text()
    assert fits_the_screen(page)
    assert page.errors == []
