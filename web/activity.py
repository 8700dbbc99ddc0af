"""The group page's activity section: posts and new members per week as an inline SVG chart (web.charts) with
its text alternative (a sentence and a table).

The weekly counts are two aggregate queries, about a third of a fresh group page's rendering; an
:class:`ActivityCache` (one per app) keeps them per group for :data:`SECONDS`, or until this process
changes something (hub.changes topic ``content``), so signed-in members' fresh renders mostly skip them.
Changes made by other processes (a separate ``hub worker``) show within :data:`SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from babel.dates import format_date
from starlette.requests import Request

from hub.models import Group
from hub.services import activity
from web.charts import weekly_svg
from web.freshcache import FreshCache
from web.i18n import gettext_for, language_of

SECONDS = 60.0
"""How long weekly counts are reused at most."""
SIZE = 1024
"""Groups whose counts are kept at most (least recently used dropped)."""


class ActivityCache:
    """Weekly counts per (group, public only), reused while fresh and nothing changed in this process (web.freshcache)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache: FreshCache[list[activity.Week]] = FreshCache(SECONDS, SIZE, clock)

    async def weeks(self, group: Group, *, public_only: bool) -> list[activity.Week]:
        """The group's last weeks (hub.services.activity.weekly_activity), from the cache when still valid."""
        return await self._cache.get((group.id, public_only), lambda: activity.weekly_activity(group, public_only=public_only))


async def activity_section(request: Request, group: Group, *, public_only: bool) -> dict[str, object]:
    """The template values of the activity section: the chart (inline SVG), its description and its rows."""
    _ = gettext_for(request)
    weeks = await request.app.state.activity_cache.weeks(group, public_only=public_only)
    labels = [format_date(w.starts, "d MMM", locale=language_of(request)) for w in weeks]
    posts_total, members_total = sum(w.posts for w in weeks), sum(w.members for w in weeks)
    description = _("Posts and new members per week over the last %(weeks)d weeks: %(posts)d posts, %(members)d new members.") % {
        "weeks": len(weeks), "posts": posts_total, "members": members_total}
    svg = weekly_svg(_("Activity per week"), labels, [(_("Posts"), [w.posts for w in weeks]), (_("New members"), [w.members for w in weeks])],
                     description=description)
    return {"activity_svg": svg, "activity_weeks": list(zip(labels, weeks)), "activity_description": description}
