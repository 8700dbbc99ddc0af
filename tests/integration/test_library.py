"""The resource library end to end with real processes: entries reach a member's Mastodon-like server as the group's Notes."""

from __future__ import annotations

import pytest

from tests.hub.test_library import PDF
from tests.integration.test_campaigns import received
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def test_library_entries_seen_by_the_peer(hub_factory, peer_factory, tmp_path):
    """A link and a PDF added with the CLI arrive as the group's Notes; the peer fetches the Note and downloads the PDF."""
    # Given a hub with a group and a member on a Mastodon-like server
    hub = hub_factory("hub")
    hub.cli("group", "create", "tenants", "--name", "Tenants Union")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "alice"})
    peer.control("follow", {"actor": "alice", "target": f"tenants@{hub.domain}"})
    wait_until_sync(lambda: received(peer, "Accept"), timeout=20, message="alice's Accept")

    # When organisers add a link and a PDF to the library
    hub.cli("library", "add", "tenants", "--title", "Know your rights", "--category", "Guides", "--url", "https://rights.example/t",
            "--text", "What a landlord **may not** do.")
    flyer = tmp_path / "flyer.pdf"
    flyer.write_bytes(PDF)
    hub.cli("library", "add", "tenants", "--title", "Rent strike flyer", "--category", "Print", "--file", str(flyer))

    # Then alice's server receives both as the group's Notes, addressed to its followers and the public
    notes = wait_until_sync(lambda: len(n := [a["object"] for a in received(peer, "Create")
                                              if "/objects/library/" in a["object"]["id"]]) == 2 and n,
                            timeout=20, message="two library Notes")
    by_name = {n["name"]: n for n in notes}
    link, pdf = by_name["Know your rights"], by_name["Rent strike flyer"]
    assert link["type"] == "Note" and link["attributedTo"] == hub.group_url("tenants")
    assert link["to"] == [f"{hub.group_url('tenants')}/followers"] and "https://www.w3.org/ns/activitystreams#Public" in link["cc"]
    assert "<strong>may not</strong>" in link["content"] and 'href="https://rights.example/t"' in link["content"]
    [document] = [a for a in pdf["attachment"] if a["type"] == "Document"]
    assert document["mediaType"] == "application/pdf"
    # And the Note is served at its id, and the PDF downloads as what was uploaded
    served = peer.control("fetch", {"url": link["id"]})
    assert served["status"] == 200 and served["json"]["name"] == "Know your rights"
    download = hub.get(document["url"])
    assert download.status_code == 200 and download.content == PDF and download.headers["content-type"] == "application/pdf"
    # And the library page and its feed list them by category
    page = hub.get("/groups/tenants/library").text
    assert page.index("Guides") < page.index("Print") and "Rent strike flyer" in page
    assert "Know your rights" in hub.get("/groups/tenants/library/feed.atom").text
