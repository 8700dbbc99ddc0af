"""A group's resource library: organisers add guides, links and documents (PDF or images) in categories.

Documents are checked from their bytes, never from a name or a browser's claim:

- images go through :mod:`hub.services.media` (at most 5 MiB, PNG/JPEG/GIF/WebP by magic bytes,
  re-encoded without metadata, alt text required) and are served from ``/media/``;
- PDFs must start with ``%PDF-``, end with an ``%%EOF`` marker near their end and weigh at most
  :data:`MAX_PDF_BYTES`; they are stored as ``HUB_DATA_DIR/library/<32 hex>.pdf`` and served as a
  download with a sandboxing CSP.

Events recorded: ``library.added`` {entry_id} (the group publishes the entry as its own object),
``library.removed`` {entry_id} (the object is deleted).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from hub.errors import InvalidInput, NotFound
from hub.lifecycle import LIBRARY_ENTRY
from hub.models import Account, Group, LibraryEntry, MediaFile
from hub.services import events, media
from hub.services.members import ORGANISER_ROLES, require_role

KINDS = ("guide", "link", "document")
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_TITLE = 200
MAX_CATEGORY = 64
MAX_TEXT = 20_000
MAX_URL = 1024
PDF_NAME = re.compile(r"^[0-9a-f]{32}\.pdf$")
DEFAULT_CATEGORY = "General"


@dataclass(frozen=True)
class Upload:
    """A document's bytes as uploaded, with the alt text images need."""

    data: bytes
    alt: str = ""


def library_dir(data_dir: Path) -> Path:
    """Where PDFs of every group's library are stored."""
    return Path(data_dir) / "library"


def is_pdf(data: bytes) -> bool:
    """Whether the bytes look like a whole PDF: the ``%PDF-`` magic and an ``%%EOF`` marker in the last KiB."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def check_pdf(data: bytes) -> None:
    """InvalidInput (about the ``file`` field) unless ``data`` is a PDF within the size limit."""
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_PDF_BYTES:
        raise InvalidInput(f"documents are limited to {MAX_PDF_BYTES // (1024 * 1024)} MiB", field="file")
    if not is_pdf(data):
        raise InvalidInput("only PDF documents and PNG, JPEG, GIF or WebP images are accepted", field="file")


def _write_pdf(data_dir: Path, data: bytes) -> str:
    directory = library_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def pdf_path(data_dir: Path, name: str) -> Path | None:
    """The stored PDF called ``name``, or None when the name is not one of ours or the file is gone."""
    if not PDF_NAME.match(name or ""):
        return None
    path = library_dir(data_dir) / name
    return path if path.is_file() else None


def _clean(value: str | None, name: str, limit: int, *, required: bool = False, one_line: bool = True) -> str:
    """The entry's text ``name`` (also its form field's name), cleaned; InvalidInput about that field."""
    text = " ".join((value or "").split()) if one_line else (value or "").strip()
    if required and not text:
        raise InvalidInput(f"a library entry needs a {name}", field=name)
    if len(text) > limit:
        raise InvalidInput(f"the {name} is limited to {limit:,} characters", field=name)
    return text


def _url(value: str | None) -> str:
    url = (value or "").strip()
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE) or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InvalidInput(f"a link needs an http(s) address of at most {MAX_URL} characters", field="url")
    return url


async def add_entry(
    group: Group, *, data_dir: Path, kind: str, title: str, category: str = "", text: str = "", url: str | None = None,
    upload: Upload | None = None, by: Account | None = None,
) -> LibraryEntry:
    """Add a guide (``text``), a link (``url``) or a document (``upload``: a PDF or an image with alt text); organisers only.

    The document is checked before anything is stored; the group then publishes the entry (``library.added``)."""
    await require_role(group, by, ORGANISER_ROLES)
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    title = _clean(title, "title", MAX_TITLE, required=True)
    category = _clean(category, "category", MAX_CATEGORY) or DEFAULT_CATEGORY
    text = _clean(text, "text", MAX_TEXT, required=kind == "guide", one_line=False)
    link, file_name, file_size, image = None, None, None, None
    if kind == "link":
        link = _url(url)
    elif kind == "document":
        if upload is None or not upload.data:
            raise InvalidInput("a document needs a file (a PDF, or a PNG, JPEG, GIF or WebP image)", field="file")
        if media.image_kind(upload.data) is not None:
            image = await media.store_image(data_dir, upload.data, upload.alt, image_field="file", alt_field="alt")
        else:
            check_pdf(upload.data)
            file_name, file_size = _write_pdf(data_dir, upload.data), len(upload.data)
    async with in_transaction():
        entry = await LibraryEntry.create(
            group=group, category=category, kind=kind, title=title, text=text, url=link, file_name=file_name,
            file_size=file_size, image=image, state="listed", created_by=by,
        )
        await events.record("library.added", group, entry_id=entry.id)
    return entry


async def get_entry(entry_id: int, *, group: Group | None = None) -> LibraryEntry:
    """The library entry with this id (in ``group`` when given), or NotFound."""
    entry = await LibraryEntry.get_or_none(id=entry_id)
    if entry is None or (group is not None and entry.group_id != group.id):
        raise NotFound(f"no library entry #{entry_id}")
    return entry


async def remove_entry(entry: LibraryEntry, *, by: Account | None = None) -> LibraryEntry:
    """Take an entry out of the library (organisers only); its object is deleted on the wire."""
    group = await Group.get(id=entry.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        LIBRARY_ENTRY.check(entry.state, "removed")
        entry.state = "removed"
        await entry.save(update_fields=["state"])
        await events.record("library.removed", group, entry_id=entry.id)
    return entry


async def entries(group: Group, *, limit: int | None = None) -> list[LibraryEntry]:
    """The group's listed entries, newest first, with their images."""
    query = LibraryEntry.filter(group=group, state="listed").order_by("-id").prefetch_related("image")
    return await (query.limit(limit) if limit else query)


def by_category(rows: list[LibraryEntry]) -> list[tuple[str, list[LibraryEntry]]]:
    """Entries grouped by category (categories in alphabetical order, entries newest first)."""
    groups: dict[str, list[LibraryEntry]] = {}
    for entry in rows:
        groups.setdefault(entry.category, []).append(entry)
    return sorted(groups.items(), key=lambda item: item[0].casefold())


async def image_of(entry: LibraryEntry) -> MediaFile | None:
    """The entry's image document, if it is one."""
    return await MediaFile.get_or_none(id=entry.image_id) if entry.image_id else None
