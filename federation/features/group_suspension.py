"""A suspended group on the wire: an ``Update`` of the Group actor marked ``suspended``, and silence.

Outbound (``{group}`` is the local group actor):

- ``group.suspended`` → the group's queued deliveries are cancelled, then ``Update`` {object: the Group
  actor with ``"suspended": true``} goes to every member's server, signed with the group's key.
  Mastodon marks a suspended account the same way (``toot:suspended``) and hides it on receipt.
- ``group.unsuspended`` → ``Update`` of the actor without the mark (``"suspended": false``): servers
  show the group again, and its pages, actor, WebFinger and inbox work as before.

While the group is suspended, federation.outbound drops every other event of the group
(hub.services.suspension.federates) and federation.local_groups finds no local group, so its
inbox takes nothing. There are no inbound handlers.
"""

from __future__ import annotations

from typing import Any

from federation import activities, actors
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.handling import Feature
from hub.models import Delivery, Event, Group
from hub.queue import move_all

SUSPENDED_CONTEXT = {"toot": "http://joinmastodon.org/ns#", "suspended": "toot:suspended"}
"""The term the mark needs in the actor's context."""


def suspension_update(fed: Federation, group: Group, *, suspended: bool) -> dict[str, Any]:
    """The ``Update`` of the group's actor carrying ``suspended`` (true or false)."""
    document = actors.group_actor(group, fed.urls)
    document["@context"] = [*document["@context"], SUSPENDED_CONTEXT]
    document["suspended"] = suspended
    return activities.update_actor(fed.urls, group, document)


async def _send(fed: Federation, group: Group, *, suspended: bool) -> None:
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(suspension_update(fed, group, suspended=suspended), actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


async def on_group_suspended(fed: Federation, event: Event, group: Group | None) -> None:
    """Cancel what the group still had queued, then tell members' servers it is suspended."""
    if group is None:
        return
    await move_all(Delivery.filter(actor_uri=fed.urls.group(group.slug)), "queued", "cancelled", last_error="group suspended")
    await _send(fed, group, suspended=True)


async def on_group_unsuspended(fed: Federation, event: Event, group: Group | None) -> None:
    """Tell members' servers the group is back."""
    if group is not None:
        await _send(fed, group, suspended=False)


FEATURE = Feature(
    name="group_suspension",
    outbound={"group.suspended": on_group_suspended, "group.unsuspended": on_group_unsuspended},
)
"""Outbound only: see the module's docstring."""
