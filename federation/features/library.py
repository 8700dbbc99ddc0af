"""The resource library on the wire: each entry is the group's own ``Note``, members see it in their timelines.

An entry is ``{group}/objects/library/{id}``: a ``Note`` attributed to the group and addressed like
its other objects (followers, cc Public; members only in private groups), sent to members' servers
as a plain ``Create``. Mastodon shows a Note's ``content`` and its image and document attachments;
group-aware servers (Lemmy, Mbin, Friendica) also read its ``name`` as the title and a ``Link``
attachment as the post's link. So the Note carries:

- ``name``: the title; ``content``: the title, the description or guide (Markdown rendered and
  sanitised), the link or the document's address, and the library page;
- ``attachment``: the image (``Image`` with its alt text), the PDF (``Document``, ``application/pdf``)
  or the link (``Link`` with ``href``);
- ``url``: the entry's place on the library page.

Removing an entry sends ``Delete`` of it as a ``Tombstone``. Declared here: :data:`FEATURE` (the
event handlers), :data:`OBJECT_DOCUMENTS` and :data:`OBJECT_PAGES`.
"""

from __future__ import annotations

import html
from typing import Any

from federation.actors import AS_CONTEXT
from federation.campaign_objects import create_of, image_attachment, object_uri, public_addressing
from federation.publication import publish
from federation.context import Federation
from federation.handling import Feature
from federation.sanitize import render_local_text
from federation.urls import Urls
from hub.models import Event, Group, LibraryEntry, MediaFile
from hub.services import library

KIND = "library"
"""The object kind in ``{group}/objects/library/{id}``."""


def library_page(urls: Urls, slug: str, entry_id: int | None = None) -> str:
    """The group's library page (at the entry when given)."""
    page = f"{urls.group(slug)}/library"
    return f"{page}#entry-{entry_id}" if entry_id is not None else page


def file_url(urls: Urls, slug: str, entry: LibraryEntry) -> str:
    """Where an entry's PDF is downloaded."""
    return f"{urls.group(slug)}/library/{entry.id}/file"


def entry_note(urls: Urls, group: Group, entry: LibraryEntry, image: MediaFile | None) -> dict[str, Any]:
    """A library entry as the group's ``Note``."""
    page = library_page(urls, group.slug, entry.id)
    parts = [f"<p><strong>{html.escape(entry.title)}</strong> · {html.escape(entry.category)}</p>"]
    if entry.text:
        parts.append(render_local_text(entry.text, max_length=20_000))
    attachment: list[dict[str, Any]] = []
    if entry.kind == "link" and entry.url:
        parts.append(f'<p><a href="{html.escape(entry.url)}" rel="nofollow noopener">{html.escape(entry.url)}</a></p>')
        attachment.append({"type": "Link", "href": entry.url, "name": entry.title})
    elif entry.file_name:
        url = file_url(urls, group.slug, entry)
        parts.append(f'<p>PDF: <a href="{html.escape(url)}">{html.escape(url)}</a></p>')
        attachment.append({"type": "Document", "mediaType": "application/pdf", "url": url, "name": entry.title})
    attachment += image_attachment(urls, image)
    parts.append(f'<p>In the library of {html.escape(group.name)}: <a href="{html.escape(page)}">{html.escape(page)}</a></p>')
    return {
        "id": object_uri(urls, group.slug, KIND, entry.id),
        "type": "Note",
        "name": entry.title,
        "attributedTo": urls.group(group.slug),
        "content": "".join(parts),
        "url": page,
        "published": entry.created_at.isoformat().replace("+00:00", "Z"),
        "attachment": attachment,
        "sensitive": False,
        **public_addressing(urls, group),
    }


async def on_library_added(fed: Federation, event: Event, group: Group | None) -> None:
    """The group publishes a new library entry as its own Note to every member's server."""
    entry = await LibraryEntry.get(id=event.payload["entry_id"])
    group = group or await Group.get(id=entry.group_id)
    note = entry_note(fed.urls, group, entry, await library.image_of(entry))
    entry.object_uri = note["id"]
    await entry.save(update_fields=["object_uri"])
    await publish(fed, group, create_of(note))


async def on_library_removed(fed: Federation, event: Event, group: Group | None) -> None:
    """A removed entry's Note is deleted on members' servers (Delete of a Tombstone)."""
    entry = await LibraryEntry.get(id=event.payload["entry_id"])
    group = group or await Group.get(id=entry.group_id)
    ident = entry.object_uri or object_uri(fed.urls, group.slug, KIND, entry.id)
    addressing = public_addressing(fed.urls, group)
    delete = {
        "@context": AS_CONTEXT, "id": f"{ident}/delete", "type": "Delete", "actor": fed.urls.group(group.slug),
        "to": addressing["to"], "cc": addressing["cc"], "object": {"id": ident, "type": "Tombstone"},
    }
    await publish(fed, group, delete)


async def entry_document(urls: Urls, group: Group, ident: int) -> dict[str, Any] | None:
    """The Note of listed entry ``ident`` of ``group`` as served at its id, or None."""
    entry = await LibraryEntry.get_or_none(id=ident, group=group, state="listed")
    if entry is None:
        return None
    return entry_note(urls, group, entry, await library.image_of(entry))


FEATURE = Feature(
    name="library",
    outbound={
        "library.added": on_library_added,
        "library.removed": on_library_removed,
    },
)
"""The library: each entry's Note out, its Delete on removal."""

OBJECT_DOCUMENTS = {KIND: entry_document}
"""Object kinds served at ``{group}/objects/{kind}/{id}``."""

OBJECT_PAGES = {KIND: library_page}
"""Where browsers asking for the object are sent."""
