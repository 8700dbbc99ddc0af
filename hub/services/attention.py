"""What waits for a group's organisers: join requests, reports, posts held for approval, gathered posts.

Counters for the console (:func:`waiting`), and each organiser's choice of how to be told
(:class:`~hub.models.OrganiserSettings`): a direct message for each new thing (on unless they turn
it off) and, when the hub has SMTP settings, an email to the address they give. The federation
layer sends both from the worker when the domain events of hub.services (``membership.requested``,
``post.held``, ``report.received``, ``campaign.post_pending``) are handled; nothing is sent in a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.clock import now
from hub.errors import InvalidInput, PermissionDenied
from hub.models import Account, CampaignPost, Group, Membership, OrganiserSettings, Post, Report
from hub.services.members import MODERATOR_ROLES

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
MAX_EMAIL = 254
QUIET_FOR = timedelta(minutes=10)
"""After telling an organiser of one kind of thing, how long further ones of that kind only count (a flood of
join requests brings one message saying how many wait, not one message each)."""
KINDS = ("join_requests", "reports", "held_posts", "gathered_posts")


@dataclass(frozen=True)
class Waiting:
    """How many things wait for the organisers, by kind."""

    join_requests: int
    reports: int
    held_posts: int
    gathered_posts: int

    @property
    def total(self) -> int:
        """Everything that waits."""
        return self.join_requests + self.reports + self.held_posts + self.gathered_posts


@dataclass(frozen=True)
class Organiser:
    """Someone who runs the group, and how they want to be told."""

    account: Account
    role: str
    direct_messages: bool
    email: str | None


async def waiting(group: Group) -> Waiting:
    """The console's counters, counted from the rows."""
    return Waiting(
        join_requests=await Membership.filter(group=group, state="pending").count(),
        reports=await Report.filter(group=group, state="open", outgoing=False).count(),
        held_posts=await Post.filter(group=group, state="held").count(),
        gathered_posts=await CampaignPost.filter(campaign__group=group, state="pending").count(),
    )


async def organisers(group: Group) -> list[Organiser]:
    """The group's owners, admins and moderators with their notification choices (defaults: messages on, no email)."""
    rows = await Membership.filter(group=group, state="accepted", role__in=list(MODERATOR_ROLES)).prefetch_related("account")
    chosen = {s.account_id: s for s in await OrganiserSettings.filter(group=group)}
    out = []
    for membership in sorted(rows, key=lambda m: m.id):
        settings = chosen.get(membership.account_id)
        out.append(Organiser(
            account=membership.account, role=membership.role,
            direct_messages=settings.direct_messages if settings else True, email=settings.email if settings else None,
        ))
    return out


async def preferences(group: Group, account: Account) -> Organiser | None:
    """One organiser's choices, or None when the account does not run the group."""
    return next((o for o in await organisers(group) if o.account.id == account.id), None)


async def due(group: Group, account: Account, kind: str, *, at: datetime | None = None) -> bool:
    """Whether to tell this organiser of ``kind`` now (not told of it in the last :data:`QUIET_FOR`); records it if so."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    moment = at or now()
    row, _ = await OrganiserSettings.get_or_create(group=group, account=account)
    told = dict(row.told_at or {})
    last = told.get(kind)
    if last is not None and moment - datetime.fromisoformat(last) < QUIET_FOR:
        return False
    told[kind] = moment.isoformat()
    row.told_at = told
    await row.save(update_fields=["told_at", "updated_at"])
    return True


def check_email(value: str | None) -> str | None:
    """A plausible email address (trimmed), None for empty; InvalidInput otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL or not EMAIL_RE.match(text):
        raise InvalidInput(f"{text[:80]!r} is not an email address such as name@example.org")
    return text


async def set_preferences(group: Group, account: Account, *, direct_messages: bool, email: str | None) -> OrganiserSettings:
    """An organiser chooses how they are told (their own choice only); PermissionDenied for non-organisers."""
    address = check_email(email)
    if await preferences(group, account) is None:
        raise PermissionDenied(f"only the organisers of {group.slug} choose how they are told")
    row, _ = await OrganiserSettings.get_or_create(group=group, account=account)
    row.direct_messages, row.email = direct_messages, address
    await row.save()
    return row
