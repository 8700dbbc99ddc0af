"""The moderation log: every moderation decision stored with who, when and why.

Services record an entry with :func:`record` inside the transaction that made the change, so the
log and the state never disagree. :func:`public_log` is what anyone may read about a group: the
action, its target, the reason and the time — never the reporter, never the moderator's identity
(Lemmy's default since 0.19), never report handling. :func:`group_log` and :func:`instance_log`
are the full entries for organisers and administrators.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from hub.models import Account, Group, ModerationAction

PRIVATE_ACTIONS = frozenset({"report_resolved", "report_dismissed", "report_forwarded"})
"""Actions about reports: organisers see them, the public log does not (it would name what was reported)."""


@dataclass(frozen=True)
class LogEntry:
    """One line of a group's public moderation log."""

    id: int
    action: str
    """approve, reject, remove_member, ban, unban, remove_post, restore_post, approve_post, role, domain_block, …"""
    target: str
    """The actor id, post id or domain the action was about."""
    reason: str | None
    """Why, as the moderator wrote it."""
    created_at: datetime
    """When."""
    expires_at: datetime | None
    """End of a temporary ban."""


async def record(
    action: str, target: str, *, group: Group | None, by: Account | None, reason: str | None = None,
    expires_at: datetime | None = None,
) -> ModerationAction:
    """Store one log entry; call inside the transaction that made the change (``by`` None: CLI or system)."""
    return await ModerationAction.create(
        group=group, moderator=by, action=action, target=target[:1024], reason=reason, expires_at=expires_at
    )


async def public_log(group: Group, *, limit: int = 50, before_id: int | None = None) -> list[LogEntry]:
    """A group's log as the public sees it, newest first, keyset-paged by id; no reporters, no moderators."""
    query = ModerationAction.filter(group=group).exclude(action__in=list(PRIVATE_ACTIONS))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(limit)
    return [LogEntry(r.id, r.action, r.target, r.reason, r.created_at, r.expires_at) for r in rows]


async def group_log(group: Group, *, limit: int = 100, before_id: int | None = None) -> list[ModerationAction]:
    """A group's full log for its organisers, newest first, with the moderator prefetched."""
    query = ModerationAction.filter(group=group)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit).prefetch_related("moderator")


async def instance_log(
    *, limit: int = 100, before_id: int | None = None, including: Iterable[str] = (),
) -> list[ModerationAction]:
    """Instance-level entries (domain blocks, instance reports) for administrators, newest first, with the
    group entries whose action is one of ``including`` (e.g. suspensions); the group prefetched."""
    actions = list(including)
    query = ModerationAction.filter(Q(group_id__isnull=True) | Q(action__in=actions)) if actions \
        else ModerationAction.filter(group_id__isnull=True)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit).prefetch_related("moderator", "group")
