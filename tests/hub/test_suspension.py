"""Tests for hub.services.suspension (and the administrators' services beside it): what a suspended group is,
who may suspend it, what federates meanwhile, and that lifting the suspension restores the group."""

from __future__ import annotations

import asyncio

import pytest

from hub.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, Suspended
from hub.models import Account, Event, Group, ModerationAction
from hub.services import accounts, administration, directory, group_settings, groups, instance, suspension

pytestmark = pytest.mark.db


async def people() -> tuple[Account, Account]:
    """An instance administrator and a remote member who organises a group."""
    admin = await accounts.create_admin("root", "a long enough password")
    ann = await accounts.remote_account("https://social.example/users/ann", handle="ann@social.example")
    return admin, ann


async def test_suspension_hides_the_group_and_lifting_it_restores_it(db) -> None:
    """Suspended: get_group raises Suspended (a Gone) with the reason, the directory drops it, events and the
    log record it; unsuspended: the group is found and listed again, with its members and keys kept."""
    admin, ann = await people()
    group = await groups.create_group("aid", "Mutual Aid", owner=ann)
    key = group.private_key_pem
    await suspension.suspend(group, by=admin, reason="  spam network ")
    with pytest.raises(Suspended) as raised:
        await groups.get_group("aid")
    assert isinstance(raised.value, Gone) and raised.value.reason == "spam network"
    assert await directory_slugs() == []
    assert [e.kind for e in await Event.filter(group=group).order_by("id")] == ["group.created", "group.suspended"]
    assert (await Event.get(kind="group.suspended")).payload == {"by": admin.uri, "reason": "spam network"}
    await suspension.unsuspend(await administration.find_group("aid"), by=admin, reason="cleaned up")
    restored = await groups.get_group("aid")
    assert restored.suspended_at is None and restored.suspension_reason is None and restored.private_key_pem == key
    assert await restored.memberships.filter(account=ann, role="owner", state="accepted").exists()
    assert await directory_slugs() == ["aid"]
    log = await ModerationAction.filter(group=group).order_by("id")
    assert [(e.action, e.reason, e.moderator_id) for e in log] == [
        ("group_suspended", "spam network", admin.id), ("group_unsuspended", "cleaned up", admin.id)]


async def directory_slugs() -> list[str]:
    """The slugs the public directory lists."""
    return [entry.slug for entry in await directory.public_directory()]


async def test_only_administrators_suspend_with_a_reason_once(db) -> None:
    """An organiser may not suspend their own group; a reason is required; twice is a Conflict; nothing changes."""
    admin, ann = await people()
    group = await groups.create_group("aid", "Mutual Aid", owner=ann)
    with pytest.raises(PermissionDenied):
        await suspension.suspend(group, by=ann, reason="x")
    with pytest.raises(InvalidInput):
        await suspension.suspend(group, by=admin, reason="   ")
    assert (await Group.get(id=group.id)).suspended_at is None
    with pytest.raises(Conflict):
        await suspension.unsuspend(group, by=admin)
    await suspension.suspend(group, by=admin, reason="spam")
    with pytest.raises(Conflict):
        await suspension.suspend(group, by=admin, reason="again")
    with pytest.raises(PermissionDenied):
        await suspension.unsuspend(group, by=ann)
    assert await ModerationAction.filter(action="group_suspended").count() == 1


async def test_a_suspended_group_federates_only_its_suspension_and_deletion(db) -> None:
    """federates(): a suspended group's events stay home but for group.suspended/unsuspended/deleted."""
    admin, _ = await people()
    group = await groups.create_group("aid", "Mutual Aid")
    assert suspension.federates(group, "post.created") and suspension.federates(None, "relay.follow")
    await suspension.suspend(group, by=admin, reason="spam")
    assert not suspension.federates(group, "post.created") and not suspension.federates(group, "group.updated")
    assert all(suspension.federates(group, kind) for kind in ("group.suspended", "group.unsuspended", "group.deleted"))


async def test_a_suspended_group_can_be_deleted_but_a_deleted_one_not_suspended(db) -> None:
    """Deletion stays possible while suspended (logged as group_deleted); a deleted group is gone for suspension."""
    admin, ann = await people()
    group = await groups.create_group("aid", "Mutual Aid", owner=ann)
    await suspension.suspend(group, by=admin, reason="spam")
    await group_settings.delete_group(group, by=admin, notice="gone")
    assert (await Group.get(id=group.id)).deleted_at is not None
    with pytest.raises(NotFound):
        await administration.find_group("aid")
    with pytest.raises(Gone):
        await suspension.unsuspend(group, by=admin)
    assert await ModerationAction.filter(action="group_deleted", group=group, moderator=admin).exists()


async def test_the_last_administrator_stays_even_when_two_dismiss_each_other_at_once(db) -> None:
    """Two administrators dismissing each other concurrently: one succeeds, the other is refused (rows locked)."""
    one = await accounts.create_admin("one", "a long enough password")
    two = await accounts.create_admin("two", "a long enough password")
    results = await asyncio.gather(administration.revoke_admin(two.id, by=one), administration.revoke_admin(one.id, by=two),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Account", "Conflict"]
    assert await Account.filter(is_admin=True).count() == 1


async def test_open_group_creation_follows_the_setting_until_administrators_choose(db) -> None:
    """The HUB_* default until an administrator chooses; then their choice, both ways; members may not choose."""
    admin, ann = await people()
    assert await instance.open_group_creation(True) is True and await instance.open_group_creation(False) is False
    with pytest.raises(PermissionDenied):
        await instance.set_open_group_creation(True, by=ann)
    await instance.set_open_group_creation(False, by=admin)
    assert await instance.open_group_creation(True) is False
    await instance.set_open_group_creation(True, by=admin)
    assert await instance.open_group_creation(False) is True
    assert [a.action for a in await administration.admin_log()] == ["group_creation_opened", "group_creation_closed"]
