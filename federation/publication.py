"""Publishing the group's own objects (decisions, library entries): one copy to every member's server.

The group sends its own objects as plain activities (``Create``, ``Update``, ``Delete``) to the
servers the one audience policy names (federation.audience: accepted members, blocked servers left
out, private groups' content only where it cannot leak), once per server — as calls and alerts go.
"""

from __future__ import annotations

from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from hub.models import Group


async def publish(fed: Federation, group: Group, activity: dict) -> None:
    """Queue ``activity`` from the group to every member's server (nothing when the group has no remote members)."""
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)
