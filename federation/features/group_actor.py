"""The group actor itself: its profile changes go out as ``Update``, and it sends direct notices.

A changed name, summary or picture reaches every member's server as an ``Update`` of the Group
actor; ``notice.direct`` is a direct message from a group (or the instance actor) to one account.
A new group has nothing to send until someone joins.
"""

from __future__ import annotations

from federation import activities, actors
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import direct_message
from federation.handling import Feature
from hub.models import Event, Group
from hub.services.groups import proof_key


async def on_notice(fed: Federation, event: Event, group: Group | None) -> None:
    """A direct message from a group (or the instance actor) to one remote account."""
    payload = event.payload
    await direct_message(fed, group, payload["account_id"], payload.get("text", ""), payload.get("link"),
                         language=payload.get("language"))


async def on_group_updated(fed: Federation, event: Event, group: Group) -> None:
    """A changed profile goes out as an Update of the Group actor to every member's server."""
    await proof_key(group)
    activity = activities.update_actor(fed.urls, group, actors.group_actor(group, fed.urls))
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


FEATURE = Feature(
    name="group_actor",
    outbound={
        "group.updated": on_group_updated,
        "notice.direct": on_notice,
    },
    quiet=frozenset({"group.created"}),
)
"""The group actor's own activities."""
