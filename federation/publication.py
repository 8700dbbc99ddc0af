"""Publishing the group's own objects (decisions, library entries): one copy to every member's server.

The group sends its own objects as plain activities (``Create``, ``Update``, ``Delete``) to each
server with accepted remote members, at the shared inbox where there is one (Mastodon shows posts
of accounts its users follow), as calls and alerts go.
"""

from __future__ import annotations

from federation.campaign_outbound import member_inboxes
from federation.context import Federation
from federation.delivery import enqueue
from hub.models import Group


async def publish(fed: Federation, group: Group, activity: dict) -> None:
    """Queue ``activity`` from the group to every member's server (nothing when the group has no remote members)."""
    inboxes = await member_inboxes(group)
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)
