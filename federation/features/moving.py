"""Moves on the wire: a local group that moved to another hub, and a member's account that moved.

Outbound (``group.moved``, recorded by ``hub group move`` once the new actor lists the old one in
``alsoKnownAs``; ``{group}`` is the old, local actor, which keeps its key and serves ``movedTo``):

- ``Move`` {actor: group, object: group, target: new actor, to: followers, cc: Public} to every
  member's server once (federation.audience). Mastodon (app/lib/activitypub/activity/move.rb)
  fetches the target, checks that its ``alsoKnownAs`` names the origin, then unfollows the origin and
  follows the target for each of its local followers; Pleroma, Akkoma, Misskey and GoToSocial do
  the same.
- Group-aware servers (Lemmy, Mbin, Friendica…: the ``activity`` Announce form) do not move a
  community's subscribers: they get a readable notice, a public ``Note`` of the group naming the
  new address.
- Members on servers that do not move follows (:data:`MOVE_AWARE_SOFTWARE` lists those that do)
  get a direct message from the group, in their language, with the link to join again.

After the move a ``Follow`` of the old group is rejected, and the follower gets a direct message with
the new address (the ``follow`` hook).

Inbound (``Move`` of a member's account): the object must be the actor itself (an account moves
itself); the target is fetched afresh and must list the origin in ``alsoKnownAs``, else the Move is
refused with a log line and nothing changes. Then the new account takes over the old one's
memberships of local groups, with their roles (hub.services.moves.transfer_memberships).
"""

from __future__ import annotations

import html
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from federation import activities
from federation.actors import AS_CONTEXT
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import direct_message
from federation.errors import FetchError, MoveError
from federation.fetch import fetch_document
from federation.handling import ANY, Feature, Incoming, Outcome, done, ignored
from federation.nodeinfo import peer_software
from federation.remote import store_actor
from federation.urls import AS_PUBLIC, Urls
from federation.vocab import id_of
from hub.languages import N_
from hub.models import Account, Event, Group, Membership, Peer, RemoteActor
from hub.services import moves

log = logging.getLogger("causeway.federation.moving")

MOVE_AWARE_SOFTWARE = frozenset({
    "mastodon", "hometown", "glitch-soc", "pleroma", "akkoma", "misskey", "sharkey", "firefish", "iceshrimp", "gotosocial",
})
"""NodeInfo software names whose servers move their users' follows on a ``Move``."""

MOVED_NOTICE = N_("%(name)s has moved to a new home. Follow it there to stay a member:")
"""The public notice group-aware servers get."""
REJOIN_MESSAGE = N_("%(name)s has moved to a new home, and your server does not follow it there by itself. "
                    "Follow the group at its new address to stay a member:")
"""The direct message to members whose servers do not move follows."""
FOLLOWED_OLD_ADDRESS = N_("%(name)s has moved to a new home and takes no new members here. Follow it at its new address:")
"""The direct message to someone who follows the old address after the move (their Follow is rejected)."""


def also_known_as(document: dict[str, Any]) -> list[str]:
    """The ids an actor document lists in ``alsoKnownAs`` (a string or a list of strings or objects)."""
    value = document.get("alsoKnownAs")
    items = value if isinstance(value, list) else [value]
    return [uri for uri in (id_of(item) for item in items) if isinstance(uri, str)]


async def verified_target(fed: Federation, origin: str, target: str) -> dict[str, Any]:
    """The target's actor document, fetched afresh; MoveError unless it lists ``origin`` in ``alsoKnownAs``."""
    if not target.startswith(("https://", "http://")):
        raise MoveError(f"the target {target!r} is not an actor URL")
    try:
        document = await fetch_document(fed.client, target, sign=await fed.instance_auth(), local_host=fed.urls.host)
    except FetchError as exc:
        raise MoveError(f"the target {target} cannot be read: {exc.reason}") from None
    if origin not in also_known_as(document):
        raise MoveError(f"the target {target} does not list {origin} in its alsoKnownAs: the move is refused "
                        "(import the group there first: `hub group import`)")
    return document


def move_activity(urls: Urls, group: Group, target: str) -> dict[str, Any]:
    """The group's ``Move`` to ``target``."""
    actor = urls.group(group.slug)
    return {
        "@context": AS_CONTEXT, "id": activities.new_id(urls, group, "move"), "type": "Move",
        "actor": actor, "object": actor, "target": target,
        "to": [urls.group_followers(group.slug)], "cc": [AS_PUBLIC],
    }


def notice_activity(urls: Urls, group: Group, target: str, text: str) -> dict[str, Any]:
    """A public ``Create`` of the group's ``Note`` saying where it moved (for group-aware servers)."""
    actor = urls.group(group.slug)
    note_id = f"{actor}/notes/moved-{uuid.uuid4().hex}"
    link = html.escape(target)
    note = {
        "id": note_id, "type": "Note", "attributedTo": actor, "name": text, "url": target,
        "content": f'<p>{html.escape(text)} <a href="{link}">{link}</a></p>',
        "contentMap": {group.language: f'<p>{html.escape(text)} <a href="{link}">{link}</a></p>'},
        "published": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"), "to": [AS_PUBLIC], "cc": [urls.group_followers(group.slug)],
    }
    return {"@context": AS_CONTEXT, "id": f"{note_id}/activity", "type": "Create", "actor": actor,
            "to": note["to"], "cc": note["cc"], "object": note}


async def on_group_moved(fed: Federation, event: Event, group: Group | None) -> None:
    """Send the Move to every member's server, a notice to group-aware ones, a DM to members left behind."""
    if group is None:
        return
    target = event.payload["target"]
    actor = fed.urls.group(group.slug)
    unknown = await Peer.filter(actors__account__memberships__group=group, actors__account__memberships__state="accepted",
                                nodeinfo_fetched_at__isnull=True).distinct().values_list("host", flat=True)
    for host in unknown:  # which servers move follows, and which are group-aware, is read from their NodeInfo
        await peer_software(fed, host)
    audience = await group_audience(fed, group)
    if audience.everyone:
        await enqueue(move_activity(fed.urls, group, target), actor_uri=actor, inboxes=audience.everyone)
    if audience.get("activity"):
        text = fed.catalogs.get(group.language).gettext(MOVED_NOTICE) % {"name": group.name}
        await enqueue(notice_activity(fed.urls, group, target, text), actor_uri=actor, inboxes=audience.get("activity"))
    left_behind = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False,
    ).exclude(peer__software__in=list(MOVE_AWARE_SOFTWARE)).values_list("account_id", flat=True)
    for account_id in left_behind:
        await direct_message(fed, group, account_id,
                             lambda t, _language, _zone: t.gettext(REJOIN_MESSAGE) % {"name": group.name}, target)


async def refuse_follow_of_moved(fed: Federation, group: Group, account: Account, *, follow_uri: str) -> Outcome | None:
    """A Follow of a group that moved away: Reject it and tell the person the new address (``follow`` hook)."""
    if group.moved_to is None:
        return None
    remote = await RemoteActor.get_or_none(account=account)
    if remote is None:
        return ignored("a Follow of a group that moved, from an account that cannot be reached")
    actor = fed.urls.group(group.slug)
    reject = activities.follow_reply(fed.urls, group, "Reject", follow_uri=follow_uri, follower=account.uri)
    await enqueue(reject, actor_uri=actor, inboxes=[remote.inbox])
    await direct_message(fed, group, account.id,
                         lambda t, _language, _zone: t.gettext(FOLLOWED_OLD_ADDRESS) % {"name": group.name}, group.moved_to)
    return done(f"follow refused: the group moved to {group.moved_to}")


async def on_move(fed: Federation, item: Incoming) -> Outcome:
    """A member's account moved: verify the target names it, then carry its memberships over."""
    origin = item.actor
    if item.object_id != origin:
        return ignored("a Move whose object is not its actor (an account moves only itself)")
    target = id_of(item.activity.get("target"))
    if not isinstance(target, str) or fed.urls.is_local(target):
        return ignored("a Move without a remote target")
    account = await Account.get_or_none(uri=origin)
    if account is None or not await Membership.filter(account=account, state__in=list(moves.CARRIED)).exists():
        return ignored("the moved account holds no membership here")
    try:
        document = await verified_target(fed, origin, target)
    except MoveError as exc:
        log.warning("move refused origin=%s target=%s reason=%r", origin, target, exc.reason)
        return ignored(f"refused: {exc.reason}")
    remote = await store_actor(document)
    transfers = await moves.transfer_memberships(account, await remote.account)
    log.info("member moved origin=%s target=%s groups=%d", origin, target, len(transfers))
    return done(f"{len(transfers)} membership(s) moved to {target}")


FEATURE = Feature(
    name="moving",
    inbound={("Move", ANY): on_move},
    outbound={"group.moved": on_group_moved},
    hooks={"follow": refuse_follow_of_moved},
    quiet=frozenset({"membership.moved"}),
)
"""Moves: see the module's docstring."""
