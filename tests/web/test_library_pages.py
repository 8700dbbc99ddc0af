"""The library console, page, feed and downloads: organisers only, files checked by content, PDFs served as downloads."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from web import library_pages
from hub.models import LibraryEntry, MediaFile
from tests.hub.test_library import PDF
from tests.hub.test_media import jpeg_with_exif
from tests.web.test_console_forms import field_error

pytestmark = pytest.mark.db
BASE = "/console/groups/climate/library"


async def test_organisers_fill_the_library(web) -> None:
    """A guide, a link, a PDF and an image are added; the page lists them by category; the feed and download work."""
    olivia, mallory = await web.person("olivia"), await web.person("mallory")
    await web.group_with("climate", name="Climate Action", role_of={olivia: "owner", mallory: "member"})
    await web.sign_in(mallory)
    assert (await web.client.get(BASE)).status_code == 403
    await web.sign_in(olivia)
    add = lambda data, **kw: web.post_form(BASE, data, token_from=BASE, **kw)  # noqa: E731
    guide = {"kind": "guide", "title": "Spotting fake news", "category": "Media literacy", "text": "Check **the source**."}
    assert (await add(guide)).status_code == 303
    await add({"kind": "link", "title": "Tenant rights", "category": "Housing", "url": "https://rights.example/t"})
    await add({"kind": "document", "title": "Flyer", "category": "Housing"}, files={"file": ("flyer.pdf", PDF, "application/pdf")})
    await add({"kind": "document", "title": "Map", "category": "Housing", "alt": "Map of the district"},
              files={"file": ("map.jpg", jpeg_with_exif((800, 600)), "image/jpeg")})
    # Refused: HTML named .pdf, an image without alt text; the form comes back with the error next to its field
    fake = await add({"kind": "document", "title": "Fake"}, files={"file": ("x.pdf", b"<html><script>1</script>", "application/pdf")})
    assert fake.status_code == 400 and "only PDF documents" in field_error(fake.text, "l-file")
    no_alt = await add({"kind": "document", "title": "No alt"}, files={"file": ("m.jpg", jpeg_with_exif((80, 60)), "image/jpeg")})
    assert no_alt.status_code == 400 and "alt text" in field_error(no_alt.text, "l-alt")
    assert await LibraryEntry.all().count() == 4 and await MediaFile.all().count() == 1

    page = (await web.client.get("/groups/climate/library")).text
    assert page.index("Housing") < page.index("Media literacy") and "<strong>the source</strong>" in page
    assert 'alt="Map of the district"' in page and "PDF document" in page
    pdf_entry = await LibraryEntry.get(title="Flyer")
    download = await web.client.get(f"/groups/climate/library/{pdf_entry.id}/file")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf" and download.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in download.headers["content-security-policy"]
    assert (await web.client.get(f"/groups/climate/library/{(await LibraryEntry.get(title='Tenant rights')).id}/file")).status_code == 404
    feed = ET.fromstring((await web.client.get("/groups/climate/library/feed.atom")).content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert titles == ["Map", "Flyer", "Tenant rights", "Spotting fake news"]
    assert len(feed.findall("a:entry", ns)) <= library_pages.FEED_SIZE

    # Removing an entry takes it off the page and stops its download
    await web.post_form(f"{BASE}/{pdf_entry.id}/remove", token_from=BASE)
    assert "Flyer" not in (await web.client.get("/groups/climate/library")).text
    assert (await web.client.get(f"/groups/climate/library/{pdf_entry.id}/file")).status_code == 404


async def test_refused_entry_keeps_what_was_typed(web) -> None:
    """A link whose address is not http(s), then a guide without a title: 400, the console with the kind, title,
    category, text and address as typed and the error next to its field; nothing added."""
    olivia = await web.person("olivia")
    await web.group_with("climate", name="Climate Action", role_of={olivia: "owner"})
    await web.sign_in(olivia)
    typed = {"kind": "link", "title": "Tenant rights", "category": "Housing", "text": "Know *your* rights.", "url": "rights.example"}
    response = await web.post_form(BASE, typed, token_from=BASE)
    assert response.status_code == 400
    assert "http(s) address" in field_error(response.text, "l-url")
    for value in ("Tenant rights", "Housing", "rights.example"):
        assert f'value="{value}"' in response.text, value
    assert ">Know *your* rights.</textarea>" in response.text
    assert 'id="k-link" type="radio" name="kind" value="link" checked' in response.text
    assert 'id="k-guide" type="radio" name="kind" value="guide">' in response.text
    untitled = await web.post_form(BASE, {**typed, "kind": "guide", "title": "  "}, token_from=BASE)
    assert untitled.status_code == 400 and "needs a title" in field_error(untitled.text, "l-title")
    assert 'id="k-guide" type="radio" name="kind" value="guide" checked' in untitled.text
    assert await LibraryEntry.all().count() == 0


async def test_private_groups_library_is_not_public(web) -> None:
    """A private group's library page and feed are not shown to the public."""
    await web.group_with("secret", private=True)
    assert (await web.client.get("/groups/secret/library")).status_code == 404
    assert (await web.client.get("/groups/secret/library/feed.atom")).status_code == 404
