"""Tests for hub.services.group_settings: access modes with their preview, partial edits, deletion."""

from __future__ import annotations

import pytest

from hub.errors import Gone, InvalidInput, PermissionDenied
from hub.models import Event, Group
from hub.services import group_settings, groups
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, group_post, member

pytestmark = pytest.mark.db


@pytest.fixture
async def climate(db) -> Group:
    """An open public group with an owner, an admin and a member who posted publicly."""
    group = await create_group("climate", "Climate", owner=await account("owner"))
    await member(group, "admin", role="admin")
    bob = await member(group, "bob")
    await group_post(group, bob, "https://social.example/notes/1")
    return group


async def test_access_modes_and_preview(climate) -> None:
    """open/closed/private map to visibility and join policy; the preview counts what a switch means."""
    assert group_settings.access_of(climate) == "open"
    change = await group_settings.preview_access(climate, "private")
    assert (change.current, change.target, change.public_posts, change.members_posts) == ("open", "private", 1, 0)
    assert change.changes and change.hides_public_posts
    await group_settings.set_access(climate, "private", by=None)
    fresh = await Group.get(id=climate.id)
    assert (fresh.visibility, fresh.join_policy) == ("private", "approval")
    assert await Event.filter(kind="group.updated").count() == 1
    back = await group_settings.preview_access(fresh, "closed")
    assert back.current == "private" and not back.hides_public_posts
    with pytest.raises(InvalidInput, match="open, closed, private"):
        await group_settings.preview_access(fresh, "secret")


async def test_members_may_not_change_access(climate) -> None:
    """Only owners and admins switch access."""
    with pytest.raises(PermissionDenied):
        await group_settings.set_access(climate, "closed", by=await account("bob"))


async def test_partial_edit_changes_only_what_is_given(climate) -> None:
    """hub group edit: the name alone, then access with rules; a bad value changes nothing."""
    await group_settings.edit(climate, by=None, name="Climate Now")
    fresh = await Group.get(id=climate.id)
    assert (fresh.name, fresh.summary, fresh.join_policy) == ("Climate Now", "", "open")
    await group_settings.edit(fresh, by=None, access="closed", rules="Be kind")
    fresh = await Group.get(id=climate.id)
    assert (fresh.rules, fresh.join_policy) == ("Be kind", "approval")
    with pytest.raises(InvalidInput):
        await group_settings.edit(fresh, by=None, access="closed", name="")
    with pytest.raises(InvalidInput):
        await group_settings.edit(fresh, by=None, access="nope", name="Other")
    assert (await Group.get(id=climate.id)).name == "Climate Now"


async def test_delete_tells_members_and_the_group_is_gone(climate) -> None:
    """Only the owner deletes; members get a notice from the hub, group.deleted is recorded, lookups say Gone."""
    with pytest.raises(PermissionDenied):
        await group_settings.delete_group(climate, by=await account("admin"), notice="x")
    told = await group_settings.delete_group(climate, by=await account("owner"), notice="Your group was deleted")
    assert told == 3
    notices = await Event.filter(kind="notice.direct")
    assert len(notices) == 3 and all(e.group_id is None for e in notices)
    assert await Event.filter(kind="group.deleted", group_id=climate.id).count() == 1
    with pytest.raises(Gone):
        await groups.get_group("climate")
    assert "climate" not in [g.slug for g in await groups.list_groups(include_private=True)]
    assert await group_settings.delete_group(await Group.get(id=climate.id), by=None, notice="again") == 0
    with pytest.raises(Exception, match="existed"):
        await create_group("climate", "Impostor")
