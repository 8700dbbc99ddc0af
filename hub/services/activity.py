"""A group's activity over time: published posts and new members per week, for the chart on its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count

from hub.clock import now
from hub.models import Group, Membership, Post

WEEKS = 12
"""Weeks the group page's chart shows (the current one last)."""


@dataclass(frozen=True)
class Week:
    """One week of a group's activity: its first day (a Monday, UTC), posts published and members accepted that joined."""

    starts: date
    posts: int
    members: int


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 of the moment's week (in the moment's own time zone: UTC for the hub's clock)."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


async def _weekly_counts(query, field_name: str, first: datetime, weeks: int) -> list[int]:
    """Rows of ``query`` per week from ``first``: one aggregate query, one conditional count per week."""
    bounds = [(first + timedelta(weeks=i), first + timedelta(weeks=i + 1)) for i in range(weeks)]
    counts = {
        f"w{i}": Count("id", _filter=Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end}))
        for i, (start, end) in enumerate(bounds)
    }
    row = await query.filter(**{f"{field_name}__gte": first}).annotate(**counts).first().values(*counts)
    return [int((row or {}).get(f"w{i}") or 0) for i in range(weeks)]


async def weekly_activity(group: Group, *, weeks: int = WEEKS, public_only: bool = True, moment: datetime | None = None) -> list[Week]:
    """The last ``weeks`` weeks of ``group``, oldest first: posts published (public and unlisted only when ``public_only``)
    and members who joined (accepted memberships by the week they were asked for).

    Two queries (one per kind, a conditional count per week), each reading only the weeks' range of an index
    ((group, state, published_at) and (group, state, created_at)): the cost follows the recent activity, not
    the group's history.
    """
    first = week_start(moment or now()) - timedelta(weeks=weeks - 1)
    posts = Post.filter(group=group, state="published")
    if public_only:
        posts = posts.filter(visibility__in=["public", "unlisted"])
    post_counts = await _weekly_counts(posts, "published_at", first, weeks)
    member_counts = await _weekly_counts(Membership.filter(group=group, state="accepted"), "created_at", first, weeks)
    return [Week((first + timedelta(weeks=i)).date(), post_counts[i], member_counts[i]) for i in range(weeks)]
