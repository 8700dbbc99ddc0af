"""Suspending a group: the hub's administrators take a group off the network without deleting it.

While a group is suspended its pages, actor and collections answer 410 Gone and say it is suspended,
WebFinger no longer finds it, its inbox takes nothing, and none of its events federate except the
suspension itself: an ``Update`` of the group actor marked ``suspended`` (as Mastodon marks a
suspended account) goes to every member's server, and its queued deliveries are cancelled.
Lifting the suspension restores all of it and sends the ``Update`` again, unmarked. Memberships,
posts and keys are kept throughout; deletion stays a separate, final step
(hub.services.group_settings.delete_group).

Events recorded: ``group.suspended`` {by, reason} and ``group.unsuspended`` {by}; logged in the
group's moderation log as ``group_suspended`` and ``group_unsuspended``.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, Gone, InvalidInput
from hub.models import Account, Group
from hub.services import events, moderation_log
from hub.services.moderation import require_admin

MAX_REASON = 1000
"""Characters kept of a suspension's reason."""
PASSING_EVENTS = frozenset({"group.suspended", "group.unsuspended", "group.deleted"})
"""The only events of a suspended group that still federate."""


def is_suspended(group: Group) -> bool:
    """Whether the administrators have suspended the group."""
    return group.suspended_at is not None


def federates(group: Group | None, kind: str) -> bool:
    """Whether an event of ``kind`` about ``group`` may go out: everything, unless the group is suspended."""
    return group is None or not is_suspended(group) or kind in PASSING_EVENTS


async def suspend(group: Group, *, by: Account | None, reason: str) -> Group:
    """Suspend the group (instance administrators only); InvalidInput without a reason, Conflict when already suspended."""
    await require_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the group is suspended: members and visitors are shown the reason")
    if group.deleted_at is not None:
        raise Gone(f"the group {group.slug!r} was deleted")
    if is_suspended(group):
        raise Conflict(f"the group {group.slug!r} is already suspended")
    async with in_transaction():
        group.suspended_at, group.suspension_reason = now(), reason[:MAX_REASON]
        await group.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
        await events.record("group.suspended", group, by=by.uri if by else None, reason=group.suspension_reason)
        await moderation_log.record("group_suspended", group.slug, group=group, by=by, reason=group.suspension_reason)
    return group


async def unsuspend(group: Group, *, by: Account | None, reason: str | None = None) -> Group:
    """Lift the suspension (instance administrators only); Conflict when the group is not suspended."""
    await require_admin(by)
    if group.deleted_at is not None:
        raise Gone(f"the group {group.slug!r} was deleted")
    if not is_suspended(group):
        raise Conflict(f"the group {group.slug!r} is not suspended")
    async with in_transaction():
        group.suspended_at, group.suspension_reason = None, None
        await group.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
        await events.record("group.unsuspended", group, by=by.uri if by else None)
        await moderation_log.record("group_unsuspended", group.slug, group=group, by=by, reason=(reason or "").strip() or None)
    return group
