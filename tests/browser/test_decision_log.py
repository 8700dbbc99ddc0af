"""In Chromium at 390 px (phone) and 1280 px (desktop): the decision log and the library page, against a real hub, checked with axe."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe, keep_artifacts
from tests.hub.test_library import PDF
from tests.integration.test_campaigns import received
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.db]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=sorted(SIZES))
def screen(browser, request: pytest.FixtureRequest):
    """A page at one of the two widths (phone: touch, mobile); screenshot and HTML kept when the test fails."""
    size = request.param
    extra = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if size == "phone" else {}
    context = browser.new_context(locale="en-GB", viewport=SIZES[size], **extra)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.errors, page.size = errors, size
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


def test_decision_log_and_library(hub_factory, peer_factory, screen, axe, tmp_path) -> None:
    """A visitor reads an open decision, the log of a closed one (result, quorum, non-members apart) and the library."""
    # Given a hub where two members and a stranger voted on a decision that is now closed, another is open,
    # and the library holds a guide, a link and a PDF
    hub = hub_factory("hub")
    hub.cli("group", "create", "assembly", "--name", "Neighbourhood Assembly")
    hub.start()
    peer = peer_factory()
    for name in ("alice", "bob", "carol"):
        peer.control("actors", {"name": name})
    for name in ("alice", "bob"):
        peer.control("follow", {"actor": name, "target": f"assembly@{hub.domain}"})
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="two Accepts")
    hub.cli("decision", "open", "assembly", "Where do we meet in January?", "--option", "Library", "--option", "Park",
            "--closes", "2d", "--timezone", "Europe/Madrid", "--quorum", "3")
    question = wait_until_sync(lambda: [a["object"] for a in received(peer, "Create") if a["object"]["type"] == "Question"],
                               timeout=20, message="the Question")[0]
    for actor, choice in [("alice", "Park"), ("bob", "Park"), ("carol", "Library")]:
        peer.control("vote", {"actor": actor, "question": question["id"], "choice": choice})
    wait_until_sync(lambda: len(hub.query("SELECT id FROM votes")) == 3, timeout=20, message="three votes")
    hub.cli("decision", "close", question["id"].rsplit("/", 1)[1])
    hub.cli("decision", "open", "assembly", "Which days should the food bank open?", "--option", "Monday", "--option", "Wednesday",
            "--option", "Saturday", "--multiple", "--closes", "3d", "--timezone", "America/Bogota")
    hub.cli("library", "add", "assembly", "--title", "How to run an assembly", "--category", "Guides",
            "--text", "1. Pick a chair.\n2. Agree the agenda.")
    hub.cli("library", "add", "assembly", "--title", "Tenant rights", "--category", "Housing", "--url", "https://rights.example/t")
    flyer = tmp_path / "flyer.pdf"
    flyer.write_bytes(PDF)
    hub.cli("library", "add", "assembly", "--title", "Rent strike flyer", "--category", "Housing", "--file", str(flyer))

    # When a visitor opens the group and follows the link to its decisions
    page = screen
    page.goto(hub.group_url("assembly"))
    page.get_by_role("link", name="Decisions").click()
    page.wait_for_url(f"{hub.base}/groups/assembly/decisions")
    # Then the open decision and the closed one's result read without sideways scrolling, and axe finds nothing serious
    assert page.get_by_role("heading", level=1).inner_text() == "Neighbourhood Assembly: decisions"
    open_section = page.get_by_role("region", name="Open for votes")
    assert "Which days should the food bank open?" in open_section.inner_text()
    assert "Several options may be chosen." in open_section.inner_text() and "(America/Bogota)" in open_section.inner_text()
    log = page.get_by_role("region", name="Decision log")
    text = log.inner_text()
    assert "Result: Park" in text and "Quorum not met: 2 of 3 needed." in text
    table = log.get_by_role("table", name="Members' votes")
    winner = table.locator("tr.winner")
    assert winner.count() == 1 and winner.get_by_role("rowheader").inner_text() == "Park chosen"
    assert [c.strip() for c in winner.get_by_role("cell").all_inner_texts()] == ["2", "100%"]
    log.get_by_text("Also voted: 1 non-member(s), not counted").click()
    assert "Library: 1" in log.locator("details.others").inner_text()
    assert fits_the_screen(page)
    assert not axe(page), describe(axe(page))
    page.screenshot(path=str(hub.data_dir / f"decisions-{page.size}.png"), full_page=True)

    # When they go back and open the library
    page.goto(hub.group_url("assembly"))
    page.get_by_role("link", name="Library").click()
    page.wait_for_url(f"{hub.base}/groups/assembly/library")
    # Then the entries are grouped by category, the guide's text is there and the PDF is offered for download
    assert page.get_by_role("heading", level=1).inner_text() == "Neighbourhood Assembly: library"
    assert page.get_by_role("heading", level=2).all_inner_texts() == ["Guides", "Housing"]
    housing = page.get_by_role("region", name="Housing")
    assert housing.get_by_role("link", name="Tenant rights").get_attribute("href") == "https://rights.example/t"
    with page.expect_download() as download:
        housing.get_by_role("link", name="Download “Rent strike flyer” (PDF)").click()
    assert download.value.suggested_filename == "Rent-strike-flyer.pdf"
    assert "Agree the agenda." in page.get_by_role("region", name="Guides").inner_text()
    assert fits_the_screen(page)
    assert not axe(page), describe(axe(page))
    page.screenshot(path=str(hub.data_dir / f"library-{page.size}.png"), full_page=True)
    assert page.errors == []
