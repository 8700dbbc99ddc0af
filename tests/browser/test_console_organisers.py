"""In Chromium at phone (390 px) and desktop (1280 px) widths: an organiser posts as the group and sees what waits.

Real `hub serve` and the Mastodon-like peer: the organiser signs in with the link her server receives,
publishes an announcement with an image, its alt text and a content warning (refused first without the
alt text: the form comes back as typed, the error next to the field), edits and pins it; her
members' server shows the group's post; the console counts a join request. axe finds no serious or
critical violation on either page at either width.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.browser.conftest import describe, keep_artifacts
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
LINK_RE = re.compile(r"https?://[^\s\"<>]+/login/link/[A-Za-z0-9_-]+")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def fits_the_screen(page) -> bool:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_organiser_posts_as_the_group_and_sees_what_waits(hub_factory, peer_factory, browser, axe, tmp_path, request, size) -> None:
    """Sign in by link, publish with image and warning, edit, pin; the peer shows it; a join request is counted."""
    # Given a closed group run by olivia (a Mastodon-like account), with alice a member
    hub = hub_factory("hub")
    hub.cli("group", "create", "housing", "--name", "Housing Action", "--closed")
    hub.start()
    peer = peer_factory()
    olivia = peer.control("actors", {"name": "olivia"})
    peer.control("actors", {"name": "alice"})
    for name in ("olivia", "alice"):
        peer.control("follow", {"actor": name, "target": f"housing@{hub.domain}"})
    wait_until_sync(lambda: len(hub.members("housing")) == 2, timeout=20, message="two join requests")
    for name in ("olivia", "alice"):
        hub.cli("member", "approve", "housing", f"{name}@{peer.domain}")
    hub.cli("member", "role", "housing", f"olivia@{peer.domain}", "owner")
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="both accepted")

    context = browser.new_context(locale="en-GB", viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        # When she signs in with the link her server receives
        page.goto(hub.base + "/login")
        page.get_by_label("Your fediverse handle").fill(f"@olivia@{peer.domain}")
        page.get_by_role("button", name="Send me a sign-in link").click()
        dms = wait_until_sync(lambda: [r for r in received(peer, "Create") if r["activity"]["object"].get("to") == [olivia["id"]]
                                       and "/login/link/" in r["activity"]["object"]["content"]], timeout=30, message="the link")
        page.goto(LINK_RE.search(dms[0]["activity"]["object"]["content"]).group(0))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(hub.base + "/console")

        # And posts as the group with an image, its description and a content warning
        page.goto(f"{hub.base}/console/groups/housing/announcements")
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        picture = tmp_path / "hall.png"
        out = io.BytesIO()
        Image.new("RGB", (80, 60), "purple").save(out, "PNG")
        picture.write_bytes(out.getvalue())
        page.get_by_label("Announcement").fill("Tenants' assembly on Friday at 18:00.")
        page.get_by_label("Content warning (optional)").fill("Eviction news")
        page.get_by_label("Image 1", exact=True).set_input_files(str(picture))
        # (first without the image's description: the form comes back as typed, the error next to the description)
        page.get_by_role("button", name="Publish").click()
        page.wait_for_load_state()
        described = page.get_by_label("Description of image 1 (alt text)")
        assert described.get_attribute("aria-invalid") == "true"
        assert "alt text" in page.locator("#announcement-alt1-error").inner_text()
        assert page.get_by_label("Announcement").input_value() == "Tenants' assembly on Friday at 18:00."
        assert page.get_by_label("Content warning (optional)").input_value() == "Eviction news"
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        page.get_by_label("Image 1", exact=True).set_input_files(str(picture))
        described.fill("The community hall entrance")
        page.get_by_role("button", name="Publish").click()
        assert "The announcement was published" in page.get_by_role("status").first.inner_text()
        listed = page.locator("#list-heading + ul")
        assert "Tenants' assembly on Friday" in listed.inner_text()
        assert listed.get_by_role("img", name="The community hall entrance").count() == 1

        # Then alice's server shows the group's post, and the edit and the pin reach it
        wait_until_sync(lambda: [s for s in peer.control("timeline") if "assembly on Friday" in s["content"]],
                        timeout=20, message="the announcement on the members' server")
        listed.get_by_text("Edit", exact=True).click()
        page.locator("textarea[id^=edit-text]").fill("Tenants' assembly moved to Saturday at 11:00.")
        page.get_by_role("button", name="Save and send the edit").click()
        page.get_by_role("button", name="Pin", exact=True).click()
        assert "is pinned" in page.get_by_role("status").first.inner_text()
        wait_until_sync(lambda: [s for s in peer.control("timeline") if "moved to Saturday" in s["content"]],
                        timeout=20, message="the edit on the members' server")
        wait_until_sync(lambda: received(peer, "Add"), timeout=20, message="the pin")
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        page.screenshot(path=str(hub.data_dir / f"announcements-{size}.png"), full_page=True)

        # When dan asks to join, the console's counters show one join request
        peer.control("actors", {"name": "dan"})
        peer.control("follow", {"actor": "dan", "target": f"housing@{hub.domain}"})
        wait_until_sync(lambda: len(hub.members("housing")) == 3, timeout=20, message="dan's request")
        page.goto(f"{hub.base}/console/groups/housing/waiting")
        assert page.locator('[data-counter="join_requests"]').inner_text() == "1"
        assert page.get_by_role("link", name="1 join request").count() == 1
        assert not axe(page), describe(axe(page))
        assert fits_the_screen(page)
        # And the group's page shows the pinned announcement with its warning to every visitor
        page.goto(f"{hub.base}/groups/housing")
        assert "Eviction news" in page.locator(".announcements").inner_text()
        page.screenshot(path=str(hub.data_dir / f"group-{size}.png"), full_page=True)
    except BaseException:
        keep_artifacts(page, request.node.name)
        raise
    finally:
        context.close()
