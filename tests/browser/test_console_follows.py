"""In Chromium at 390 px and 1280 px: an organiser switches a follow's relaying and filters it by hashtags, against a real hub."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe, fits_the_screen, opened_page

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]


@pytest.mark.parametrize("width", [390, 1280])
def test_relay_filter_on_the_follows_page(hub_factory, peer_factory, browser, axe, request, width: int) -> None:
    """The administrator follows a group, limits its relaying to two hashtags, then switches relaying off; axe finds nothing."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "lisbon", "--name", "Lisbon Housing")
    hub.cli("admin", "create", "root", "--password-stdin", input_text="a long enough password\n")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "neighbours"})
    with opened_page(browser, request, width) as page:
        page.goto(hub.base + "/login")
        page.get_by_label("User name").fill("root")
        page.get_by_label("Password", exact=True).fill("a long enough password")
        page.get_by_role("button", name="Sign in").last.click()
        page.goto(hub.base + "/console/groups/lisbon/follows")
        page.get_by_label("Handle of the group to follow").fill(f"@neighbours@{peer.domain}")
        page.get_by_role("button", name="Follow", exact=True).click()
        assert "is on its way" in page.get_by_role("status").first.inner_text()

        page.get_by_label("Hashtags (separated by spaces)").fill("#RentStrike housing")
        page.get_by_label("Share its posts with this group's members").last.check()
        page.get_by_role("button", name=f"Change: neighbours@{peer.domain}").click()
        assert "Done." in page.get_by_role("status").first.inner_text()
        assert "shared with members (#rentstrike #housing)" in page.locator("main ul.cards").inner_text()
        rows = hub.query("SELECT relay, hashtag FROM group_follows")
        assert [(bool(r["relay"]), r["hashtag"]) for r in rows] == [(True, "rentstrike housing")]
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        page.screenshot(path=str(hub.data_dir / f"follows-{width}.png"), full_page=True)

        page.get_by_label("Share its posts with this group's members").last.uncheck()
        page.get_by_label("Hashtags (separated by spaces)").fill("not a tag!")
        page.get_by_role("button", name=f"Change: neighbours@{peer.domain}").click()
        assert "is not a hashtag" in page.locator("main").inner_text()
        assert [bool(r["relay"]) for r in hub.query("SELECT relay FROM group_follows")] == [True]
        assert page.errors == []
