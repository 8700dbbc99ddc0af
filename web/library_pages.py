"""The resource library on the web: its public page by category, its Atom feed, PDF downloads, and the console.

Public pages are for public groups only. PDFs are served as downloads (``Content-Disposition:
attachment``) with ``application/pdf``, ``nosniff`` and a sandboxing CSP, whatever was uploaded's
name; images are the media files ``/media/`` serves. A refused entry gives the console again (400)
with the form as typed (the file excepted) and the error next to its field (web.form_errors);
nothing is stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from federation.sanitize import render_local_text
from hub.errors import HubError, NotFound
from hub.models import LibraryEntry
from hub.services import library
from hub.services.members import ORGANISER_ROLES
from web.campaign_pages import public_group
from web import form_errors
from web.console import back, carry_out, console_group
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for
from web.rendering import flash, render

SECTION = "/library"
FEED_SIZE = 30
ATOM_NS = "http://www.w3.org/2005/Atom"
UPLOAD_SLACK = 64 * 1024
ENTRY_FIELDS = ("kind", "title", "category", "text", "url", "file", "alt")


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def link_of(request: Request, slug: str, entry: LibraryEntry) -> str | None:
    """Where an entry leads: the link, the PDF download or the image."""
    if entry.url:
        return entry.url
    if entry.file_name:
        return str(request.url_for("library_file", slug=slug, entry_id=entry.id))
    if entry.image_id and entry.image is not None:
        return str(request.url_for("media", name=entry.image.name))
    return None


async def library_page(request: Request) -> Response:
    """GET /groups/{slug}/library: the group's guides, links and documents by category."""
    group = await public_group(request)
    rows = await library.entries(group)
    return await render(
        request, "library/library.html", group=group, categories=library.by_category(rows),
        texts={e.id: render_local_text(e.text) for e in rows if e.text},
        links={e.id: link_of(request, group.slug, e) for e in rows},
    )


async def library_feed(request: Request) -> Response:
    """GET /groups/{slug}/library/feed.atom: the newest entries."""
    group = await public_group(request)
    urls = request.app.state.urls
    page = f"{urls.group(group.slug)}/library"
    rows = await library.entries(group, limit=FEED_SIZE)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(feed, "id").text = f"{page}/feed.atom"
    ET.SubElement(feed, "title").text = f"{group.name} · library"
    ET.SubElement(feed, "updated").text = _iso(rows[0].created_at if rows else group.updated_at)
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": page})
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": f"{page}/feed.atom"})
    for row in rows:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = row.object_uri or f"{urls.group(group.slug)}/objects/library/{row.id}"
        ET.SubElement(entry, "title").text = row.title
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": f"{page}#entry-{row.id}"})
        target = link_of(request, group.slug, row)
        if target and target != row.url:
            media_type = "application/pdf" if row.file_name else (row.image.media_type if row.image else "")
            ET.SubElement(entry, "link", {"rel": "enclosure", "href": target, "type": media_type})
        elif row.url:
            ET.SubElement(entry, "link", {"rel": "related", "href": row.url})
        ET.SubElement(entry, "category", {"term": row.category})
        ET.SubElement(entry, "published").text = _iso(row.created_at)
        ET.SubElement(entry, "updated").text = _iso(row.created_at)
        author = ET.SubElement(entry, "author")
        ET.SubElement(author, "name").text = group.name
        ET.SubElement(author, "uri").text = urls.group(group.slug)
        if row.text:
            ET.SubElement(entry, "content", {"type": "html"}).text = render_local_text(row.text)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


async def library_file(request: Request) -> Response:
    """GET /groups/{slug}/library/{entry_id}/file: a listed entry's PDF, as a download."""
    group = await public_group(request)
    entry = await library.get_entry(request.path_params["entry_id"], group=group)
    path = library.pdf_path(request.app.state.settings.data_dir, entry.file_name or "") if entry.state == "listed" else None
    if path is None:
        raise NotFound("this entry has no document")
    filename = (re.sub(r"[^A-Za-z0-9]+", "-", entry.title).strip("-")[:60] or "document") + ".pdf"
    return FileResponse(path, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "public, max-age=3600",
    })


async def console_page(request: Request) -> Response:
    """GET /console/groups/{slug}/library: add an entry; remove one."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    return await _console_page(request, group, role)


async def _console_page(request: Request, group, role: str, *, status: int = 200, typed: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None) -> Response:
    """The library console; ``typed`` are the values of the form as typed, ``errors`` its field errors."""
    rows = await library.entries(group)
    return await render(request, "library/console.html", status=status, group=group, role=role, section="library", entries=rows,
                        categories=[c for c, _ in library.by_category(rows)], max_pdf=library.MAX_PDF_BYTES // 2**20,
                        typed=typed, errors=errors or {})


async def add_entry(request: Request) -> Response:
    """POST …/library: a guide, a link or a document (PDF, or an image with its alt text) in a category."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    _ = gettext_for(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > library.MAX_PDF_BYTES + UPLOAD_SLACK:
        raise UploadRejected(_("The file is larger than %(size)d MiB.") % {"size": library.MAX_PDF_BYTES // 2**20})
    form = await checked_form(request, max_part_size=library.MAX_PDF_BYTES + UPLOAD_SLACK)
    kind = str(form.get("kind", "guide"))
    upload = None
    file = form.get("file")
    if kind == "document" and file is not None and not isinstance(file, str) and file.filename:
        upload = library.Upload(await file.read(library.MAX_PDF_BYTES + 1), alt=str(form.get("alt", ""))[:2000])
    try:
        await library.add_entry(
            group, data_dir=request.app.state.settings.data_dir, kind=kind[:32], title=str(form.get("title", "")),
            category=str(form.get("category", "")), text=str(form.get("text", "")),
            url=str(form.get("url", "")) if kind == "link" else None, upload=upload, by=account,
        )
    except HubError as exc:
        return await _console_page(request, group, role, status=400,
                                   **await form_errors.refused(request, exc, form, ENTRY_FIELDS))
    request.app.state.federation.wake_worker()
    flash(request, _("The entry is in the library and was sent to the members."))
    return back(request, SECTION)


async def remove_entry(request: Request) -> Response:
    """POST …/library/{entry_id}/remove."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    entry = await library.get_entry(request.path_params["entry_id"], group=group)
    return await carry_out(request, library.remove_entry(entry, by=account), _("The entry was removed from the library."), SECTION)


def routes(group_console: str) -> list[Route]:
    """The library page, feed and downloads, and the library console."""
    base = f"{group_console}/library"
    return [
        Route("/groups/{slug}/library", library_page, name="library"),
        Route("/groups/{slug}/library/feed.atom", library_feed, name="library_feed"),
        Route("/groups/{slug}/library/{entry_id:int}/file", library_file, name="library_file"),
        Route(base, console_page, name="console_library"),
        Route(base, add_entry, methods=["POST"], name="console_library_add"),
        Route(f"{base}/{{entry_id:int}}/remove", remove_entry, methods=["POST"], name="console_library_remove"),
    ]
