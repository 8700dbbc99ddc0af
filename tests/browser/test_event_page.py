"""In Chromium at 390 px (a phone) and 1280 px (a laptop): an event page, its group's events section and the
hub's upcoming events, against a real hub with a Mastodon-like member who voted "Going"; checked with axe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from tests.browser.conftest import describe, fits_the_screen, opened_page
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 900}}


@pytest.fixture(params=sorted(SIZES))
def screen(browser, request: pytest.FixtureRequest):
    """A page at one of the two widths; screenshot and HTML kept when the test fails."""
    with opened_page(browser, request, SIZES[request.param]["width"], height=SIZES[request.param]["height"]) as page:
        yield page


def test_event_page_at_phone_and_laptop_width(hub_factory, peer_factory, screen, axe) -> None:
    """A visitor finds the event from the hub's upcoming events and the group page, and reads when, where and who."""
    # Given a hub with an event of three places and a Mastodon-like member who voted "Going"
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    day = (now() + timedelta(days=6)).date().isoformat()
    hub.cli("event", "create", "aid", "--title", "Tenants' assembly", "--starts", f"{day}T18:00", "--ends", f"{day}T20:00",
            "--timezone", "Europe/Lisbon", "--place", "Casa do Povo", "--street", "Rua da Paz 1", "--locality", "Lisboa",
            "--latitude", "38.72", "--longitude", "-9.14", "--capacity", "3",
            "--description", "Rent strike: next steps.\n\nBring a chair if you can.")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "alice"})
    peer.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: peer.control("received", type="Accept"), timeout=20, message="alice's Accept")
    poll = f"{hub.group_url('aid')}/objects/eventpoll/1"
    assert peer.control("vote", {"actor": "alice", "question": poll, "choice": "Going"})["status"] == 202
    wait_until_sync(lambda: "1 going" in hub.get("/groups/aid/events/1").text, timeout=20, message="alice going")

    # When a visitor opens the hub's upcoming events and follows the event's link
    page = screen
    page.goto(f"{hub.base}/events")
    assert fits_the_screen(page) and not axe(page), describe(axe(page))
    page.get_by_role("link", name="Tenants' assembly").click()
    page.wait_for_url(f"{hub.base}/groups/aid/events/1")

    # Then the page says when (in Lisbon time), where, places and who is going, without sideways scrolling
    assert page.get_by_role("heading", level=1).inner_text() == "Tenants' assembly"
    facts = page.locator("dl.facts").inner_text()
    assert "6:00" in facts and "8:00" in facts and "(Europe/Lisbon)" in facts and "Casa do Povo, Rua da Paz 1, Lisboa" in facts and "3" in facts
    assert "1 going" in page.locator("#event-counts").inner_text()
    assert "Alice" in page.get_by_role("region", name="Who is going").inner_text()
    assert f"aid@{hub.domain}" in page.locator(".notice").inner_text()
    calendar = page.get_by_role("link", name="Add to calendar (ICS)").get_attribute("href")
    assert hub.get(calendar).headers["content-type"].startswith("text/calendar")
    assert fits_the_screen(page)
    assert not axe(page), describe(axe(page))
    page.screenshot(path=str(hub.data_dir / f"event-{page.width}.png"), full_page=True)

    # And the crumbs lead to the group, whose events section lists it with the same count
    page.get_by_role("link", name="Mutual Aid").first.click()
    page.wait_for_url(f"{hub.base}/groups/aid")
    section = page.get_by_role("region", name="Events")
    assert "Tenants' assembly" in section.inner_text() and "1 going / 3 places" in section.inner_text()
    assert fits_the_screen(page)
    assert not axe(page), describe(axe(page))
    assert page.errors == []
