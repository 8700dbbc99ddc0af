"""In Chromium at 390 px and 1280 px: an administrator uses the console against a real hub — blocks a domain
(after a refused one, its message next to the field), suspends a group and lifts it; axe finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe, fits_the_screen, opened_page

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
PASSWORD = "a long enough password"


def tab(page, name: str):
    """A link of the console's tabs."""
    return page.get_by_role("navigation", name="Administration").get_by_role("link", name=name, exact=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_admin_console(hub_factory, browser, axe, request, width: int) -> None:
    """Overview, a refused then accepted domain block, a suspension and its lifting, every other page: each passes
    axe and fits the width."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("admin", "create", "root", "--password-stdin", input_text=f"{PASSWORD}\n")
    hub.start()
    with opened_page(browser, request, width) as page:
        page.goto(hub.base + "/login")
        page.get_by_label("User name").fill("root")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").last.click()
        page.goto(hub.base + "/console")
        page.get_by_role("link", name="Administration of the hub").click()
        assert "1 administrator" in page.locator("main").inner_text()
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)

        # A domain that is no domain: the message sits next to the field, which is marked invalid
        tab(page, "Blocked domains").click()
        page.get_by_label("Domain", exact=True).fill("not a domain!")
        page.get_by_role("button", name="Block").click()
        field = page.get_by_label("Domain", exact=True)
        assert field.get_attribute("aria-invalid") == "true"
        assert "is not a domain name" in page.locator("#error-domain").inner_text()
        assert not axe(page), describe(axe(page))
        page.get_by_label("Domain", exact=True).fill("spam.example")
        page.get_by_label("Reason", exact=True).fill("spam waves")
        page.get_by_role("button", name="Block").click()
        assert "spam.example is blocked." in page.get_by_role("status").first.inner_text()
        assert [r["host"] for r in hub.query("SELECT host FROM peers WHERE blocked")] == ["spam.example"]

        # Suspend the group, then lift the suspension
        tab(page, "Groups").click()
        page.get_by_label("Reason", exact=True).fill("spam network")
        page.get_by_role("button", name="Suspend @aid").click()
        assert "is suspended" in page.get_by_role("status").first.inner_text()
        assert "spam network" in page.locator("main").inner_text()
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        page.screenshot(path=str(hub.data_dir / f"admin-groups-{width}.png"), full_page=True)
        assert hub.get("/groups/aid").status_code == 410
        page.get_by_role("button", name="Lift the suspension @aid").click()
        assert "was lifted" in page.get_by_role("status").first.inner_text()
        assert hub.get("/groups/aid").status_code == 200

        for name in ("Reports", "Relays", "Dead letters", "Administrators"):
            tab(page, name).click()
            assert not axe(page), f"{name}: {describe(axe(page))}"
            assert fits_the_screen(page), name
        tab(page, "Log").click()
        text = page.locator("main").inner_text()
        assert "domain blocked" in text and "group suspended" in text and "suspension lifted" in text
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        assert page.errors == []
