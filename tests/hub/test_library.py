"""Tests for hub.services.library: guides, links and documents (PDF by magic bytes and size, images re-encoded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import InvalidInput, PermissionDenied
from hub.models import Event, LibraryEntry, MediaFile
from hub.services import library
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member
from tests.hub.test_media import jpeg_with_exif

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
async def group(db):
    """An open group with an owner."""
    return await create_group("climate", "Climate", owner=await account("owner"))


def test_pdf_is_recognised_by_its_bytes() -> None:
    """A PDF starts with %PDF- and ends with %%EOF; anything else (an HTML file named .pdf) is not one."""
    assert library.is_pdf(PDF)
    assert not library.is_pdf(b"<html><script>alert(1)</script></html>")
    assert not library.is_pdf(b"%PDF-1.4 truncated")
    with pytest.raises(InvalidInput, match="10 MiB"):
        library.check_pdf(b"%PDF-" + b"0" * library.MAX_PDF_BYTES + b"%%EOF")


async def test_guide_link_and_pdf_are_added_in_categories(group, tmp_path: Path) -> None:
    """Each kind is stored with what it needs and recorded for publication; categories group them."""
    guide = await library.add_entry(group, data_dir=tmp_path, kind="guide", title="Spotting fake news", category="Media literacy",
                                    text="1. Check the source.\n2. Check the date.")
    link = await library.add_entry(group, data_dir=tmp_path, kind="link", title="Tenant rights", url="https://rights.example/tenants")
    pdf = await library.add_entry(group, data_dir=tmp_path, kind="document", title="Flyer", category="Media literacy",
                                  upload=library.Upload(PDF))
    assert link.category == "General" and link.url == "https://rights.example/tenants"
    assert library.pdf_path(tmp_path, pdf.file_name).read_bytes() == PDF and pdf.file_size == len(PDF)
    assert await Event.filter(kind="library.added").count() == 3
    grouped = library.by_category(await library.entries(group))
    assert [(c, [e.id for e in rows]) for c, rows in grouped] == [("General", [link.id]), ("Media literacy", [pdf.id, guide.id])]
    assert library.pdf_path(tmp_path, "../secret.key") is None


async def test_images_are_reencoded_without_metadata(group, tmp_path: Path) -> None:
    """An image document goes through media: metadata gone, alt text kept; without alt text it is refused."""
    data = jpeg_with_exif()
    with pytest.raises(InvalidInput, match="alt text"):
        await library.add_entry(group, data_dir=tmp_path, kind="document", title="Map", upload=library.Upload(data))
    entry = await library.add_entry(group, data_dir=tmp_path, kind="document", title="Map",
                                    upload=library.Upload(data, alt="Map of the meeting points"))
    image = await library.image_of(entry)
    stored = (tmp_path / "media" / image.name).read_bytes()
    assert image.alt == "Map of the meeting points" and b"SecretCam" not in stored


async def test_bad_entries_are_refused_and_nothing_stored(group, tmp_path: Path) -> None:
    """Wrong types, bad links, empty guides and non-organisers are refused; no row, no file, no event."""
    alice = await member(group, "alice")
    cases = [
        ({"kind": "document", "upload": library.Upload(b"<html>not a pdf</html>")}, InvalidInput, "only PDF"),
        ({"kind": "document", "upload": library.Upload(b"%PDF-1.7 but never ends")}, InvalidInput, "only PDF"),
        ({"kind": "document"}, InvalidInput, "needs a file"),
        ({"kind": "link", "url": "javascript:alert(1)"}, InvalidInput, "http"),
        ({"kind": "guide", "text": " "}, InvalidInput, "needs a text"),
        ({"kind": "video"}, InvalidInput, "kind must be"),
        ({"kind": "link", "url": "https://ok.example", "by": alice}, PermissionDenied, "owner or admin"),
    ]
    for values, error, message in cases:
        with pytest.raises(error, match=message):
            await library.add_entry(group, data_dir=tmp_path, title="Entry", **values)
    assert await LibraryEntry.all().count() == 0 and await MediaFile.all().count() == 0
    assert await Event.filter(kind="library.added").count() == 0
    assert not (tmp_path / "library").exists() or not any((tmp_path / "library").iterdir())


async def test_removed_entries_leave_the_library(group, tmp_path: Path) -> None:
    """Removing an entry takes it off the list and records its deletion."""
    entry = await library.add_entry(group, data_dir=tmp_path, kind="link", title="Old", url="https://old.example")
    await library.remove_entry(entry)
    assert await library.entries(group) == [] and await Event.filter(kind="library.removed").count() == 1


async def test_refusals_name_the_form_field_they_are_about(group, tmp_path: Path) -> None:
    """Each refusal names the console form's field it is about (the file, its alt text, the address…), nothing stored."""
    cases = [
        ({"kind": "document", "upload": library.Upload(b"<html>not a pdf</html>")}, "file"),
        ({"kind": "document", "upload": library.Upload(b"\x89PNG\r\n\x1a\n but no image follows", alt="A map")}, "file"),
        ({"kind": "document", "upload": library.Upload(jpeg_with_exif((80, 60)))}, "alt"),
        ({"kind": "link", "url": "rights.example"}, "url"),
        ({"kind": "guide", "title": "  ", "text": "Read me"}, "title"),
        ({"kind": "guide", "category": "c" * 65, "text": "Read me"}, "category"),
        ({"kind": "guide", "text": " "}, "text"),
        ({"kind": "video"}, "kind"),
    ]
    for values, field in cases:
        with pytest.raises(InvalidInput) as refused:
            await library.add_entry(group, data_dir=tmp_path, **{"title": "Entry", **values})
        assert refused.value.field == field, (values, str(refused.value))
    assert await LibraryEntry.all().count() == 0 and await MediaFile.all().count() == 0
