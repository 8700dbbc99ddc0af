"""In Chromium at phone (390 px) and desktop (1280 px) widths, against a real hub and a Mastodon-like server: every
public page (directory, group, thread, hashtag, about, moderation log) and the group console's forms that fail.

Each page: no sideways scrolling (nothing wider than the screen, even a 200-character one-word group name),
no serious or critical axe violation, no console error; a full-page screenshot of each is kept under
``test-artifacts/`` (pages-NAME-SIZE.png). The console: a bad event comes back with the typed values and the error
next to its field, a non-image avatar with the error next to the file field, so do a bad call, decision and library
link, and the members table fits a phone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hub.clock import now
from tests.browser.conftest import ARTIFACTS, describe, keep_artifacts
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LONG_NAME = "Solidarity" * 20
ADMIN, PASSWORD = "admin", "browser test password 1"


def fits_the_screen(page) -> bool:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def check(page, axe, name: str, size: str) -> None:
    """The page fits the screen, has no serious or critical axe violation, and its screenshot is kept."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pages-{name}-{size}.png"), full_page=True)
    assert fits_the_screen(page), f"{name} is wider than the {size} screen"
    violations = axe(page)
    assert not violations, f"{name}: {describe(violations)}"


@pytest.mark.parametrize("size", sorted(SIZES))
def test_public_pages_and_console_forms(hub_factory, peer_factory, browser, axe, request, size) -> None:
    """Directory, group (chart, images, hashtags, search, older posts), thread, hashtag, about, moderation log;
    then the console's refused forms keep what was typed."""
    # Given a hub with a group whose name is one 200-character word, and a group with a member's posts and replies
    hub = hub_factory("hub")
    hub.cli("group", "create", "long", "--name", LONG_NAME, "--summary", "A **very** long name, *wrapped*.")
    hub.cli("group", "create", "climate", "--name", "Climate Action", "--summary", "We act on **climate**.")
    hub.cli("admin", "create", ADMIN, "--password-stdin", input_text=PASSWORD + "\n")
    hub.start()
    peer = peer_factory()
    for name in ("alice", "bob"):
        peer.control("actors", {"name": name})
        peer.control("follow", {"actor": name, "target": f"climate@{hub.domain}"})
    wait_until_sync(lambda: len(hub.members("climate")) == 2, timeout=30, message="two members")
    group = [hub.group_url("climate")]
    image = {"type": "Document", "mediaType": "image/svg+xml", "url": f"{hub.base}/static/favicon.svg",
             "name": "The group's green logo on a banner"}
    first = peer.control("post", {"actor": "alice", "content": "March on Friday #ClimateStrike", "mentions": group,
                                  "attachments": [image]})
    reply = peer.control("post", {"actor": "bob", "content": "I will bring the banner", "mentions": group,
                                  "in_reply_to": first["note_id"]})
    peer.control("post", {"actor": "alice", "content": "Thank you, Bob!", "mentions": group, "in_reply_to": reply["note_id"]})
    for n in range(20):
        peer.control("post", {"actor": "bob", "content": f"Update number {n}", "mentions": group})
    wait_until_sync(lambda: "Update number 19" in hub.get("/groups/climate?r=1").text, timeout=60, message="posts shown")

    context = browser.new_context(locale="en-GB", viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    try:
        # The directory: the long name wraps, Markdown reads as text
        page.goto(hub.base + "/")
        card = page.locator(".directory li", has_text="A very long name")
        assert "**" not in card.inner_text() and "0 members" in card.inner_text()
        check(page, axe, "directory", size)

        # The group page: the chart and its table, the post's image with its alt text, its hashtag, older posts
        page.goto(f"{hub.base}/groups/climate")
        chart = page.get_by_role("img", name="Activity per week")
        assert chart.count() == 1 and "23 posts, 2 new members" in page.locator("figure.chart figcaption").inner_text()
        assert page.locator(".face").count() >= 20
        page.get_by_text("No fediverse account yet?").click()
        assert page.get_by_role("link", name="mastodon.social").is_visible()
        check(page, axe, "group", size)
        page.get_by_role("link", name="Older posts").click()
        page.wait_for_url(re.compile(r".*/groups/climate\?before=\d+$"))
        assert "March on Friday" in page.locator("main").inner_text() and "Update number 19" not in page.locator("main").inner_text()
        assert page.get_by_role("img", name="The group's green logo on a banner").count() == 1
        check(page, axe, "group-older", size)
        older_url = page.url

        # Search within the group
        page.goto(f"{hub.base}/groups/climate")
        page.get_by_label("Search this group's posts").fill("banner")
        page.get_by_label("Search this group's posts").press("Enter")
        page.wait_for_url(re.compile(r".*\?q=banner$"))
        assert page.locator(".post").count() == 1 and "I will bring the banner" in page.locator(".post").inner_text()
        check(page, axe, "group-search", size)

        # The hashtag page
        page.goto(older_url)
        page.get_by_role("link", name="#climatestrike").first.click()
        page.wait_for_url(f"{hub.base}/groups/climate/tags/climatestrike")
        assert page.locator(".post").count() == 1 and "March on Friday" in page.locator(".post").inner_text()
        check(page, axe, "hashtag", size)

        # The thread: Bob's reply, and Alice's answer nested under it
        page.locator(".post", has_text="March on Friday").locator("time").click()
        page.wait_for_url(re.compile(r".*/posts/\d+$"))
        nested = page.get_by_role("list", name="Replies to Bob")
        assert "Thank you, Bob!" in nested.inner_text()
        check(page, axe, "thread", size)

        for name, path in (("about", "/about"), ("moderation-log", "/groups/climate/moderation"), ("long-group", "/groups/long")):
            page.goto(hub.base + path)
            check(page, axe, name, size)
        assert errors == [], errors

        # The console: sign in as the hub's administrator
        page.goto(hub.base + "/login")
        page.get_by_label("User name", exact=True).fill(ADMIN)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").last.click()
        page.wait_for_url(f"{hub.base}/console")

        # An event that ends before it starts comes back with what was typed and the error next to "Ends"
        page.goto(f"{hub.base}/console/groups/climate/events")
        day = (now() + timedelta(days=8)).date().isoformat()
        form = page.locator("form", has=page.get_by_role("button", name="Create the event"))
        form.get_by_label("Title").fill("Street party")
        form.get_by_label("Starts (in the event's time zone)").fill(f"{day}T18:00")
        form.get_by_label("Ends (in the event's time zone)").fill(f"{day}T17:00")
        form.get_by_label("Name of the place").fill("Largo do Intendente")
        form.get_by_role("button", name="Create the event").click()
        page.wait_for_load_state()
        ends = page.locator("#new-ends")
        assert ends.get_attribute("aria-invalid") == "true"
        assert "must end after it starts" in page.locator("#new-ends-error").inner_text()
        assert page.locator("#new-title").input_value() == "Street party"
        assert page.locator("#new-place_name").input_value() == "Largo do Intendente"
        check(page, axe, "console-event-error", size)

        # A text file as the avatar: the profile page again, the error next to the file field
        page.goto(f"{hub.base}/console/groups/climate")
        page.locator("#avatar-file").set_input_files({"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"})
        page.get_by_role("button", name="Upload the avatar").click()
        page.wait_for_load_state()
        assert page.locator("#avatar-file").get_attribute("aria-invalid") == "true"
        assert "Only PNG, JPEG, GIF and WebP" in page.locator("#file-avatar-error").inner_text()
        check(page, axe, "console-avatar-error", size)

        # A call whose number of people is not a number, a decision with one option, a link without an http(s)
        # address: each comes back with what was typed and the error next to its field, that field focused
        page.goto(f"{hub.base}/console/groups/climate/campaigns")
        call = page.locator("form", has=page.get_by_role("button", name="Publish the call"))
        call.get_by_label("What", exact=True).fill("Hand out flyers")
        call.get_by_label("People needed").fill("lots")
        call.get_by_role("button", name="Publish the call").click()
        page.wait_for_load_state()
        assert page.locator("#call-needed").get_attribute("aria-invalid") == "true"
        assert "is not a whole number" in page.locator("#call-needed-error").inner_text()
        assert page.locator("#call-what").input_value() == "Hand out flyers"
        assert page.evaluate("document.activeElement.id") == "call-needed"
        check(page, axe, "console-call-error", size)
        page.goto(f"{hub.base}/console/groups/climate/decisions")
        page.get_by_label("Question").fill("Where do we meet?")
        page.get_by_label("Options, one per line (2 to 10)").fill("Library")
        page.get_by_label("Closes at").fill(f"{day}T18:00")
        page.get_by_role("button", name="Open the decision").click()
        page.wait_for_load_state()
        assert page.locator("#d-options").get_attribute("aria-invalid") == "true"
        assert "2 to 10 options" in page.locator("#d-options-error").inner_text()
        assert page.locator("#d-question").input_value() == "Where do we meet?"
        assert page.locator("#d-closes").input_value() == f"{day}T18:00"
        check(page, axe, "console-decision-error", size)
        page.goto(f"{hub.base}/console/groups/climate/library")
        page.get_by_label("A link", exact=True).check()
        page.get_by_label("Title", exact=True).fill("Tenant rights")
        page.get_by_label("Address of a link").fill("rights.example")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_load_state()
        assert page.locator("#l-url").get_attribute("aria-invalid") == "true"
        assert "http(s) address" in page.locator("#l-url-error").inner_text()
        assert page.locator("#l-title").input_value() == "Tenant rights" and page.locator("#k-link").is_checked()
        assert page.evaluate("document.activeElement.id") == "l-url"  # focused, so its error is seen and read out
        check(page, axe, "console-library-error", size)

        # The members table fits a phone
        page.goto(f"{hub.base}/console/groups/climate/members")
        check(page, axe, "console-members", size)
        page.goto(f"{hub.base}/console/groups/long")
        check(page, axe, "console-long-group", size)
    except Exception:
        keep_artifacts(page, request.node.name)
        raise
    finally:
        context.close()
