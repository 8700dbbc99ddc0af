"""Library entries on the wire, in-process: the group's Note with its link or document, served at its id, deleted on removal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.features import library as feature
from federation.urls import Urls
from hub.models import Group, LibraryEntry
from hub.services import library
from tests.federation.harness import PUBLIC, running_hub
from tests.federation.test_campaigns import delivered

pytestmark = pytest.mark.db


async def test_entries_reach_members_as_the_groups_notes(database_url, tmp_path) -> None:
    """A link goes to members' servers as the group's Note, is served at its id, and is deleted on removal."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a group with a member on remote.test
        group = await hub.group("climate")
        await hub.member(hub.world.person("alice"))
        # When organisers add a link to the library
        link = await library.add_entry(group, data_dir=hub.settings.data_dir, kind="link", title="Tenant rights", category="Housing",
                                       url="https://rights.example/t",
                                       text="What landlords **cannot** do.")
        await hub.drain()
        # Then the member's server gets a Create of the group's Note with the title, text, link and library page
        [create] = [a for a in delivered(hub, "Create", "remote.test") if a["object"]["id"].endswith(f"/objects/library/{link.id}")]
        note = create["object"]
        assert note["type"] == "Note" and note["name"] == "Tenant rights" and note["attributedTo"] == hub.group_id()
        assert PUBLIC in note["cc"] and note["to"] == [f"{hub.group_id()}/followers"] and note["audience"] == hub.group_id()
        assert "<strong>cannot</strong>" in note["content"] and 'href="https://rights.example/t"' in note["content"]
        assert {"type": "Link", "href": "https://rights.example/t", "name": "Tenant rights"} in note["attachment"]
        served = await hub.get(f"/groups/climate/objects/library/{link.id}", accept="application/activity+json")
        assert served.status_code == 200 and served.json()["name"] == "Tenant rights"
        # And a removed entry is deleted where it was sent and no longer served
        await library.remove_entry(link)
        await hub.drain()
        [delete] = delivered(hub, "Delete", "remote.test")
        assert delete["object"] == {"id": note["id"], "type": "Tombstone"}
        gone = await hub.get(f"/groups/climate/objects/library/{link.id}", accept="application/activity+json")
        assert gone.status_code == 404


def test_pdf_entries_carry_a_document_attachment() -> None:
    """A PDF entry's Note links the download and attaches it as a Document."""
    urls = Urls("https://hub.example")
    group = Group(id=1, slug="climate", name="Climate", visibility="private")
    entry = LibraryEntry(id=7, group_id=1, kind="document", title="Flyer", category="Print", text="", file_name="a" * 32 + ".pdf",
                         created_at=datetime(2026, 12, 4, tzinfo=UTC))
    note = feature.entry_note(urls, group, entry, None)
    url = "https://hub.example/groups/climate/library/7/file"
    assert {"type": "Document", "mediaType": "application/pdf", "url": url, "name": "Flyer"} in note["attachment"]
    assert note["cc"] == [] and url in note["content"]
