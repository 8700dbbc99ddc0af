"""Announcements: organisers post as the group itself — text, up to four images with alt text, a content warning.

The group publishes each announcement as its own Note (like its calls and alerts); organisers edit
and delete it, and pin it to the group's pages and featured collection. Images are stored through
hub.services.media (alt text required, metadata stripped).

Events recorded (payload {announcement_id}): ``announcement.published``, ``announcement.updated``,
``announcement.deleted``, ``announcement.pinned``, ``announcement.unpinned``; the federation layer
sends the Create, Update, Delete, Add and Remove.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound
from hub.lifecycle import ANNOUNCEMENT
from hub.models import Account, Announcement, Group, MediaFile
from hub.services import events
from hub.services.members import ORGANISER_ROLES, require_role

MAX_TEXT = 5000
"""Characters of an announcement."""
MAX_SUMMARY = 200
"""Characters of a content warning."""
MAX_IMAGES = 4
"""Images per announcement (Mastodon shows four)."""


def _checked(text: str, summary: str | None, images: Sequence[MediaFile]) -> tuple[str, str | None]:
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"an announcement needs 1-{MAX_TEXT:,} characters of text", field="text")
    summary = " ".join((summary or "").split()) or None
    if summary is not None and len(summary) > MAX_SUMMARY:
        raise InvalidInput(f"a content warning has at most {MAX_SUMMARY} characters", field="summary")
    if len(images) > MAX_IMAGES:
        raise InvalidInput(f"an announcement has at most {MAX_IMAGES} images")
    if any(not (image.alt or "").strip() for image in images):
        raise InvalidInput("every image needs alt text describing it")
    return text, summary


async def publish(
    group: Group, text: str, *, summary: str | None = None, images: Sequence[MediaFile] = (), by: Account | None = None,
) -> Announcement:
    """Organisers post as the group: stored and sent to every member's server (event ``announcement.published``)."""
    await require_role(group, by, ORGANISER_ROLES)
    text, summary = _checked(text, summary, images)
    async with in_transaction():
        announcement = await Announcement.create(
            group=group, text=text, summary=summary, media_ids=[image.id for image in images], state="published",
            created_by=by,
        )
        await events.record("announcement.published", group, announcement_id=announcement.id)
    return announcement


async def get(group: Group, announcement_id: int) -> Announcement:
    """The group's announcement with this id (deleted ones too), or NotFound."""
    announcement = await Announcement.get_or_none(id=announcement_id, group=group)
    if announcement is None:
        raise NotFound(f"no announcement #{announcement_id} in {group.slug}")
    return announcement


def _live(announcement: Announcement) -> None:
    if announcement.state != "published":
        raise Conflict("the announcement was deleted")


async def edit(
    announcement: Announcement, text: str, *, summary: str | None = None, images: Sequence[MediaFile] | None = None,
    by: Account | None = None,
) -> Announcement:
    """Change the text, content warning or images (None: keep them); members' servers get the Update."""
    group = await Group.get(id=announcement.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    _live(announcement)
    kept = await images_of(announcement) if images is None else list(images)
    text, summary = _checked(text, summary, kept)
    async with in_transaction():
        announcement.text, announcement.summary = text, summary
        announcement.media_ids = [image.id for image in kept]
        announcement.edited_at = now()
        await announcement.save(update_fields=["text", "summary", "media_ids", "edited_at"])
        await events.record("announcement.updated", group, announcement_id=announcement.id)
    return announcement


async def delete(announcement: Announcement, *, by: Account | None = None) -> Announcement:
    """Delete it: off the pages, and members' servers get the Delete (its text is kept for the record only)."""
    group = await Group.get(id=announcement.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        ANNOUNCEMENT.check(announcement.state, "deleted")
        announcement.state, announcement.pinned, announcement.deleted_at = "deleted", False, now()
        await announcement.save(update_fields=["state", "pinned", "deleted_at"])
        await events.record("announcement.deleted", group, announcement_id=announcement.id)
    return announcement


async def set_pinned(announcement: Announcement, pinned: bool, *, by: Account | None = None) -> Announcement:
    """Pin it to the group's pages and featured collection, or unpin it; whether it changed is in the events."""
    group = await Group.get(id=announcement.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    _live(announcement)
    if announcement.pinned == pinned:
        return announcement
    async with in_transaction():
        announcement.pinned = pinned
        await announcement.save(update_fields=["pinned"])
        await events.record("announcement.pinned" if pinned else "announcement.unpinned", group, announcement_id=announcement.id)
    return announcement


async def images_of(announcement: Announcement) -> list[MediaFile]:
    """The announcement's images, in their order."""
    ids = list(announcement.media_ids or [])
    rows = {row.id: row for row in await MediaFile.filter(id__in=ids)}
    return [rows[i] for i in ids if i in rows]


async def list_announcements(group: Group, *, limit: int = 50) -> list[Announcement]:
    """The group's live announcements, newest first."""
    return await Announcement.filter(group=group, state="published").order_by("-id").limit(limit)


async def shown(group: Group, *, latest: int = 3) -> list[Announcement]:
    """What the group's page shows: pinned announcements, then the latest others; each with ``images`` loaded."""
    pinned_rows = await Announcement.filter(group=group, state="published", pinned=True).order_by("-id").limit(5)
    others = await Announcement.filter(group=group, state="published", pinned=False).order_by("-id").limit(latest)
    rows = [*pinned_rows, *others]
    for row in rows:
        row.images = await images_of(row)
    return rows
