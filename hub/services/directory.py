"""What the hub shows people: the public directory with activity, and the groups an account runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count, Max

from hub.clock import now
from hub.models import Account, Collaboration, Group, Membership, Post
from hub.services.groups import member_counts
from hub.services.members import MODERATOR_ROLES

ACTIVITY_WINDOW = timedelta(days=7)
PUBLIC_POST_VISIBILITIES = ("public", "unlisted")


@dataclass(frozen=True)
class DirectoryEntry:
    """A public group as the directory lists it."""

    slug: str
    name: str
    summary: str
    join_policy: str
    kind: str
    members: int
    """Accepted members."""
    posts_this_week: int
    """Public posts published in the last seven days."""
    last_post_at: datetime | None
    """When its latest public post was published, if it has any."""
    icon_path: str | None


@dataclass(frozen=True)
class OrganisedGroup:
    """A group and the role an account holds in it (``admin`` for instance administrators without one)."""

    group: Group
    role: str


async def public_directory(query: str = "", *, limit: int = 200) -> list[DirectoryEntry]:
    """Public groups by name, optionally those whose name, handle or summary contains ``query``."""
    rows = Group.filter(visibility="public", deleted_at__isnull=True, suspended_at__isnull=True)
    needle = (query or "").strip()[:100]
    if needle:
        rows = rows.filter(Q(name__icontains=needle) | Q(slug__icontains=needle.lower()) | Q(summary__icontains=needle))
    groups = await rows.order_by("name").limit(limit)
    ids = [g.id for g in groups]
    counts = await member_counts(ids)
    activity: dict[int, tuple[datetime | None, int]] = {}
    if ids:
        public = Post.filter(group_id__in=ids, state="published", visibility__in=list(PUBLIC_POST_VISIBILITIES))
        latest = await public.annotate(last=Max("published_at")).group_by("group_id").values("group_id", "last")
        week = await (
            public.filter(published_at__gte=now() - ACTIVITY_WINDOW)
            .annotate(n=Count("id")).group_by("group_id").values("group_id", "n")
        )
        weekly = {row["group_id"]: row["n"] for row in week}
        activity = {row["group_id"]: (row["last"], weekly.get(row["group_id"], 0)) for row in latest}
    return [
        DirectoryEntry(
            slug=g.slug, name=g.name, summary=g.summary, join_policy=g.join_policy, kind=g.kind,
            members=counts.get(g.id, 0), posts_this_week=activity.get(g.id, (None, 0))[1],
            last_post_at=_aware(activity.get(g.id, (None, 0))[0]), icon_path=g.icon_path,
        )
        for g in groups
    ]


def _aware(value: object) -> datetime | None:
    """Aggregates come back as datetimes (PostgreSQL) or ISO strings (SQLite); always an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=now().tzinfo)
    return value


async def organised_groups(account: Account) -> list[OrganisedGroup]:
    """The groups ``account`` may run (owner, admin or moderator); every group for instance administrators."""
    rows = await Membership.filter(
        account=account, state="accepted", role__in=list(MODERATOR_ROLES), group__deleted_at__isnull=True,
    ).prefetch_related("group")
    found = {m.group.id: OrganisedGroup(m.group, m.role) for m in rows}
    if account.is_admin:
        for group in await Group.filter(deleted_at__isnull=True):
            found.setdefault(group.id, OrganisedGroup(group, "admin"))
    return sorted(found.values(), key=lambda entry: entry.group.name.lower())


async def role_in(group: Group, account: Account | None) -> str | None:
    """The account's role in the group (``admin`` for instance administrators without one), or None."""
    if account is None:
        return None
    membership = await Membership.get_or_none(group=group, account=account, state="accepted")
    if membership is not None and membership.role != "member":
        return membership.role
    if account.is_admin:
        return "admin"
    return membership.role if membership is not None else None


async def pinned_posts(group: Group) -> list[Post]:
    """The group's pinned public posts, newest first."""
    return await (
        Post.filter(group=group, pinned=True, state="published", visibility__in=list(PUBLIC_POST_VISIBILITIES))
        .order_by("-id").prefetch_related("author__remote", "via")
    )


async def collaborations_of(group: Group, actor_uri: str) -> list[Collaboration]:
    """Collaborations ``group`` hosts or is a partner in (its account, ``actor_uri``, is a member), by name."""
    hosted = await Collaboration.filter(host_group=group).prefetch_related("group", "host_group")
    partner_of = await Collaboration.filter(
        group__memberships__account__uri=actor_uri, group__memberships__state="accepted"
    ).prefetch_related("group", "host_group")
    found = {c.id: c for c in [*hosted, *partner_of] if c.group_id != group.id}
    return sorted(found.values(), key=lambda c: c.group.name.lower())
