"""A group's activity over time: published posts and new members per week, for the chart on its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

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


async def weekly_activity(group: Group, *, weeks: int = WEEKS, public_only: bool = True, moment: datetime | None = None) -> list[Week]:
    """The last ``weeks`` weeks of ``group``, oldest first: posts published (public and unlisted only when ``public_only``)
    and members who joined (accepted memberships by the week they were asked for).

    One range count per week and kind, each answered from an index ((group, state, published_at) and
    (group, state, created_at)), so the cost does not grow with the group's history.
    """
    first = week_start(moment or now()) - timedelta(weeks=weeks - 1)
    out = []
    for index in range(weeks):
        start, end = first + timedelta(weeks=index), first + timedelta(weeks=index + 1)
        posts = Post.filter(group=group, state="published", published_at__gte=start, published_at__lt=end)
        if public_only:
            posts = posts.filter(visibility__in=["public", "unlisted"])
        joined = Membership.filter(group=group, state="accepted", created_at__gte=start, created_at__lt=end)
        out.append(Week(start.date(), await posts.count(), await joined.count()))
    return out
