"""A deleted group on the wire: ``Delete`` of the Group actor to every member's server.

Outbound (``{group}`` is the local group actor):

- ``group.deleted`` → ``Delete`` {actor: group, object: group, to: Public, cc: followers}, once per
  member's server (the group's audience, federation.audience.group_audience: a server's shared
  inbox when its members share one), signed with the group's key, which the hub keeps for this. Mastodon removes the account and its follows on a Delete whose object is the
  actor itself; Lemmy and other group-aware servers remove the community.

The members are told first, each in their own language, by a direct message from the instance actor (not from the group: a server
that applies the Delete also drops the group's own statuses, direct messages included). After the
deletion the group's pages, actor and collections answer 410 Gone and its inbox takes nothing.

There are no inbound handlers: activities for a deleted group find no local group.
"""

from __future__ import annotations

import gettext
from typing import Any

from federation.activities import new_id
from federation.actors import AS_CONTEXT
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import direct_message
from federation.handling import Feature
from federation.urls import AS_PUBLIC, Urls
from hub.models import Event, Group, Membership
from hub.services import group_settings


def delete_actor(urls: Urls, group: Group) -> dict[str, Any]:
    """The ``Delete`` of the group's own actor."""
    actor = urls.group(group.slug)
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, "delete"),
        "type": "Delete",
        "actor": actor,
        "object": actor,
        "to": [AS_PUBLIC],
        "cc": [urls.group_followers(group.slug)],
    }


async def on_group_deleted(fed: Federation, event: Event, group: Group | None) -> None:
    """Tell each remote member in their own language (unless the organisers wrote the notice), then send the
    actor's ``Delete`` to each member's server once."""
    if group is None:
        return
    if event.payload.get("notify"):
        def notice(t: gettext.NullTranslations, _language: str, _zone: str | None) -> str:
            return group_settings.deletion_notice(group, fed.settings.domain, t,
                                                  by_administrators=bool(event.payload.get("by_administrators")))

        members = Membership.filter(group=group, state="accepted", account__is_local=False)
        for account_id in await members.values_list("account_id", flat=True):
            await direct_message(fed, group, account_id, notice, None, from_instance=True)
    inboxes = (await group_audience(fed, group)).everyone
    if inboxes:
        await enqueue(delete_actor(fed.urls, group), actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


FEATURE = Feature(
    name="group_deletion",
    outbound={"group.deleted": on_group_deleted},
)
"""Outbound only: see the module's docstring."""
