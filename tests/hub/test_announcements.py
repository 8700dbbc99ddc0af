"""Tests for hub.services.announcements: organisers post as the group; edits, deletion and pins are recorded as events."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Event, MediaFile
from hub.services import announcements
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member

pytestmark = pytest.mark.db


async def _image(alt: str) -> MediaFile:
    return await MediaFile.create(name=f"{abs(hash(alt)):032x}"[:32] + ".png", media_type="image/png", alt=alt,
                                  width=10, height=10, size=100)


async def _kinds() -> list[str]:
    return [e.kind for e in await Event.filter(kind__startswith="announcement.").order_by("id")]


async def test_publish_edit_pin_delete(db) -> None:
    """Each step changes the row and records its event; deleted announcements cannot be edited or pinned."""
    owner = await account("owner")
    group = await create_group("aid", "Mutual Aid", owner=owner)
    images = [await _image("The hall"), await _image("A map")]
    row = await announcements.publish(group, "  Assembly Friday  ", summary=" Meeting ", images=images, by=owner)
    assert (row.text, row.summary, row.media_ids) == ("Assembly Friday", "Meeting", [images[0].id, images[1].id])
    await announcements.edit(row, "Assembly Saturday", summary="", by=owner)
    assert row.text == "Assembly Saturday" and row.summary is None and row.edited_at is not None
    assert [i.alt for i in await announcements.images_of(row)] == ["The hall", "A map"]  # images kept
    await announcements.set_pinned(row, True, by=owner)
    await announcements.set_pinned(row, True, by=owner)  # no second event
    assert [a.id for a in await announcements.shown(group)] == [row.id]
    await announcements.delete(row, by=owner)
    assert row.state == "deleted" and not row.pinned and await announcements.list_announcements(group) == []
    with pytest.raises(Conflict):
        await announcements.edit(row, "again", by=owner)
    with pytest.raises(Conflict):
        await announcements.set_pinned(row, True, by=owner)
    with pytest.raises(Conflict):
        await announcements.delete(row, by=owner)
    assert await _kinds() == ["announcement.published", "announcement.updated", "announcement.pinned", "announcement.deleted"]


async def test_refused_input_and_roles(db) -> None:
    """Empty or long text, long warnings, five images, an image without alt text, a plain member: refused, nothing stored."""
    owner = await account("owner")
    group = await create_group("aid", "Mutual Aid", owner=owner)
    plain = await member(group, "plain")
    for text, kwargs in [("", {}), ("x" * (announcements.MAX_TEXT + 1), {}), ("ok", {"summary": "w" * 201}),
                         ("ok", {"images": [await _image(f"i{n}") for n in range(5)]}), ("ok", {"images": [await _image(" ")]})]:
        with pytest.raises(InvalidInput):
            await announcements.publish(group, text, by=owner, **kwargs)
    with pytest.raises(PermissionDenied):
        await announcements.publish(group, "hello", by=plain)
    assert await _kinds() == []
