"""In Chromium: the coalition's collaboration page in Arabic (right to left) with its world map, against three real hubs.

Lisbon's hub hosts a collaboration; Berlin's and Nairobi's groups, on their own hubs, accept its
invites. Each group gave its city and country, and the partners' places travel in their actor
documents (``location``), so Lisbon's page draws all three cities. The page is read in Arabic at
390 px and 1280 px: ``dir="rtl"``, the layout mirrored, no sideways scrolling, no axe violations.
Screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, describe
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]


def coalition(hub_factory):
    """Three hubs, a group on each with its place; Lisbon's collaboration with Berlin and Nairobi as partners."""
    hubs = {}
    for city, slug, country, zone, language in (("Lisbon", "lisboa", "PT", "Europe/Lisbon", "pt"),
                                                ("Berlin", "berlin", "DE", "Europe/Berlin", "de"),
                                                ("Nairobi", "nairobi", "KE", "Africa/Nairobi", "sw")):
        hub = hub_factory(slug)
        hub.cli("group", "create", slug, "--name", f"{city} Solidarity", "--city", city, "--country", country,
                "--time-zone", zone, "--language", language)
        hub.start()
        hubs[slug] = hub
    lisboa = hubs["lisboa"]
    for slug in ("berlin", "nairobi"):
        lisboa.cli("invite", "send", "lisboa", f"{slug}@{hubs[slug].domain}", "--collaboration", "Coalition")
        incoming = wait_until_sync(lambda: hubs[slug].invites(direction="incoming"), timeout=20, message=f"{slug} invited")
        hubs[slug].cli("invite", "accept", str(incoming[0]["id"]))
    wait_until_sync(lambda: len(lisboa.invites(direction="outgoing", state="accepted")) == 2, timeout=30,
                    message="both partners accepted")
    slug = lisboa.query("SELECT g.slug FROM collaborations c JOIN groups g ON g.id = c.group_id")[0]["slug"]
    return lisboa, slug


def test_arabic_collaboration_page_is_right_to_left_with_the_coalition_on_the_map(hub_factory, browser, axe) -> None:
    """Arabic, phone and desktop: rtl document, mirrored header, the three cities on the map and in the list."""
    hub, slug = coalition(hub_factory)
    path = f"/collaborations/{slug}"
    wait_until_sync(lambda: hub.get(path).text.count('class="place"') >= 3, timeout=30, message="three partners with places")
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        context = browser.new_context(locale="ar", viewport={"width": width, "height": height},
                                      extra_http_headers={"Accept-Language": "ar"})
        page = context.new_page()
        try:
            page.goto(f"{hub.base}{path}")
            # The document is Arabic and right to left, and the browser lays it out so
            assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
            assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
            assert page.get_by_role("heading", level=2, name="أين يوجد الشركاء").is_visible()
            # The header is mirrored: the brand sits at the right edge, the navigation to its left
            brand, nav = page.locator("a.brand").bounding_box(), page.locator("header.site nav").bounding_box()
            assert brand["x"] + brand["width"] > width - 40 and (width < 500 or nav["x"] < brand["x"])
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            # The map shows the three cities; the list beside it names them
            places = page.locator(".place").all_inner_texts()
            assert {"Lisbon, Portugal", "Berlin, Germany", "Nairobi, Kenya"} <= set(places)
            map_image = page.get_by_role("img", name="خريطة العالم عليها 3 مجموعات شريكة في أماكن عملها")
            map_image.scroll_into_view_if_needed()
            assert page.evaluate("(img) => img.complete && img.naturalWidth === 1000", map_image.element_handle())
            svg = hub.get(f"{path}/map.svg").text
            assert svg.count('class="partner"') == 3 and "Nairobi" in svg and "Berlin" in svg
            violations = axe(page)
            assert violations == [], describe(violations)
            page.screenshot(path=str(ARTIFACTS / f"collaboration-ar-{width}.png"), full_page=True)
        finally:
            context.close()
