"""Partners beyond Causeway: Lemmy, Mbin, kbin, Mobilizon and Friendica groups, in what each understands.

Following a Lemmy community or a Mobilizon group is a group follow like any other (``hub group follow``):
their posts arrive either as the group's ``Announce`` of a member's ``Create`` (FEP-1b12: Lemmy, Mbin) —
taken by federation.features.collaboration — or as a plain ``Create`` by the group itself (Mobilizon
publishes its group's posts so): :func:`on_followed_create` takes those (last of the ``First`` handlers on
Create, before the posts feature, which only knows posts addressed to a local group). A followed Causeway
group's own Creates are calls and notes that the spaces and members-only features read; they are left alone.
A followed group's ``Announce`` of an ``Event`` (Mobilizon relays its remote members' events so) is taken by
:func:`on_followed_announce`: the Event, fetched from its origin, joins the group's followed events. Their Events are the gatherings feature's.

None of these servers understands ``Invite`` between groups. An invite to collaborate sent to one of them
(told by NodeInfo ``software.name``, or, when that is unknown, by the actor's shape: a Group whose
``attributedTo`` is a moderators collection, or Mobilizon's ``members``/``openness``) falls back to what
it does understand (:func:`on_invite_sent`): the collaboration's space follows the group — its posts with
the space's hashtag flow in — and its moderators (the ``attributedTo`` collection; Mobilizon's
administrators when its members collection is readable; else the group itself) get a direct message that
says who invites them, to what, and what to do. No Invite goes out: the invite records the follow that stands in
for it, and the follow's Accept (Lemmy accepts at once) or Reject answers the invite; revoking the invite undoes
the follow while it is unanswered (:func:`on_invite_revoked`).

Lemmy, Mbin and kbin apply a ``Reject`` of a follow without telling the person. When one of their
users may not join a group, :func:`on_join_refused` tells them why by direct message, then the Reject
goes out as before. Lemmy takes a private message only from an actor of type Person, Service or
Organization (its ``UserTypes``), never from a Group: these messages come from the hub's notices actor
(:func:`notices_actor`, type Service, signed with the instance key under its own keyId).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation import actors
from federation.context import Federation
from federation.direct import direct_message
from federation.errors import FederationError
from federation.features import collaboration, spaces
from federation.features.gatherings import remote_details
from federation.fetch import fetch_document, host_of, same_host
from federation.handling import ANY, Feature, First, Incoming, Outcome, done, ignored
from federation.nodeinfo import SOFTWARE_NAME, peer_software
from federation.features.posts import target_groups
from federation.remote import account_for
from federation.responses import ActivityResponse, fed_of
from federation.sanitize import off_loop
from federation.vocab import POST_TYPES, id_of, ids, is_http_id, type_of
from hub.languages import N_, language_for
from hub.models import Account, Event, Group, Invite, Membership, RemoteActor
from hub.errors import HubError
from hub.services import blocks, collaborations, gatherings, invites
from hub.services.instance import instance_key

log = logging.getLogger("causeway.partners")

INVITE_DEAF_SOFTWARE = frozenset({"lemmy", "mbin", "kbin", "piefed", "lotide", "mobilizon", "friendica"})
"""Software whose groups ignore ``Invite`` from another group: they get a follow and a readable message instead."""

SILENT_REJECT_SOFTWARE = frozenset({"lemmy", "mbin", "kbin"})
"""Software that applies a ``Reject`` of a follow without telling its user: they are told why by direct message."""

MAX_MODERATORS = 20
"""At most this many moderators of one group get the invite's message."""

ADMIN_ROLES = frozenset({"administrator", "moderator", "creator"})
"""Mobilizon member roles that run a group."""

INVITE_TEXT = N_(
    "%(group)s (%(handle)s) invites %(target)s to collaborate in %(space)s. Your software does not take invitations "
    "between groups, so %(space)s now follows %(target)s: posts of %(target)s that carry #%(hashtag)s are shared in "
    "the space with its partners. To answer, or to take part, write to %(handle)s."
)
REFUSAL_TEXTS = {
    "leaky": N_(
        "You cannot join %(group)s (%(handle)s): it is a closed group whose posts are for members only, and "
        "%(software)s shows every post it receives to everyone, so accounts on %(software)s servers cannot join it. "
        "Follow it from an account on a server that keeps followers-only posts private (Mastodon or Friendica, for example)."
    ),
    "banned": N_("You cannot join %(group)s (%(handle)s): you are banned from this group. "
                 "Write to its organisers if you think this is a mistake."),
    "blocked": N_("You cannot join %(group)s (%(handle)s): the group does not take members from your server."),
    "declined": N_("The organisers of %(group)s (%(handle)s) did not accept your request to join."),
}
"""Why a person cannot join, by case; each message is sent in the person's language."""


# --- the notices actor ---------------------------------------------------------------------------------------


def notices_document(fed: Federation, public_key_pem: str) -> dict[str, Any]:
    """The notices actor: a Service that writes the hub's direct messages to Lemmy-family users (the instance key)."""
    urls = fed.urls
    doc = actors.instance_actor(urls, public_key_pem)
    doc.update(
        id=urls.notices_actor, type="Service", preferredUsername="notices", outbox=f"{urls.notices_actor}/outbox",
        summary="Messages of this hub's groups to people whose servers take messages only from people.",
        publicKey={"id": urls.notices_key, "owner": urls.notices_actor, "publicKeyPem": public_key_pem},
    )
    return doc


async def notices_actor(request: Request) -> Response:
    """GET /actor/notices (always open, like the instance actor: peers need its key)."""
    key = await instance_key()
    return ActivityResponse(notices_document(fed_of(request), key.public_key_pem))


async def tell(fed: Federation, account: Account, text: str, *, link: str | None, language: str | None) -> bool:
    """A direct message from the notices actor to one remote account; whether it was queued."""
    return await direct_message(fed, None, account.id, text, link, language=language, sender=fed.urls.notices_actor)


# --- inbound: a followed group's own posts -------------------------------------------------------------------


async def on_followed_create(fed: Federation, item: Incoming) -> Outcome | None:
    """A followed group's own post in a plain Create, relayed by the groups that follow it; else None.

    Mobilizon publishes a group's post as an ``Article`` attributed to the group, created by its author on the
    group's server (or by the group itself); anything addressed to a local group is the posts feature's.
    """
    obj = item.obj
    group_uri = id_of(obj.get("attributedTo")) if obj is not None else None
    if obj is None or type_of(obj) not in POST_TYPES or not group_uri or not same_host(group_uri, item.actor):
        return None
    source = await Account.get_or_none(uri=group_uri)
    if source is None or not await collaborations.followers_of(source):
        return None
    if await peer_software(fed, host_of(group_uri)) == SOFTWARE_NAME:
        return None  # a Causeway group announces its posts; its own Creates are calls and notes other features take
    if await target_groups(fed, item.activity, obj):
        return None
    if group_uri != item.actor:  # created by a member of the group: the copy counts only from its origin
        obj = await fetch_document(fed.client, obj["id"], sign=await fed.instance_auth(), local_host=fed.urls.host)
        if id_of(obj.get("attributedTo")) != group_uri:
            return ignored("the fetched post is not the group's")
    return await collaboration.relay_shared(fed, source, item.activity, obj)


async def on_followed_announce(fed: Federation, item: Incoming) -> Outcome | None:
    """A followed group's ``Announce`` of a ``Create``/``Update`` of an ``Event`` (Mobilizon relays its remote
    members' events so; FEP-1b12 groups likewise): the Event, fetched from its origin, joins the followed
    groups' events. None for any other Announce (the collaboration feature's)."""
    inner = item.obj
    event = inner.get("object") if inner is not None and type_of(inner) in ("Create", "Update") else None
    if not isinstance(event, dict) or type_of(event) != "Event" or not is_http_id(event.get("id")):
        return None
    source = await Account.get_or_none(uri=item.actor)
    if source is None or not await collaborations.followers_of(source):
        return None
    fetched = await fetch_document(fed.client, event["id"], sign=await fed.instance_auth(), local_host=fed.urls.host)
    if type_of(fetched) != "Event" or id_of(fetched.get("attributedTo")) != item.actor:
        return ignored("the announced Event is not the announcing group's")
    try:
        stored = await gatherings.store_remote(source, await off_loop(remote_details, fetched))
    except HubError as exc:
        return ignored(f"event of {source.uri}: {exc}")
    return done(f"event of a followed group stored: {stored.title}")


# --- outbound: invites to groups that do not understand Invite ------------------------------------------------


async def _document(fed: Federation, uri: str) -> dict:
    """A remote document fetched from its own id, or {} when it cannot be had."""
    try:
        return await fetch_document(fed.client, uri, sign=await fed.instance_auth(), local_host=fed.urls.host)
    except FederationError as exc:
        log.info("could not fetch %s: %s", uri, exc)
        return {}


def understands_invite(software: str | None, actor: dict) -> bool:
    """Whether a group on ``software`` (None: unknown) takes ``Invite``; unknown software is told by the actor's shape."""
    if software:
        return software not in INVITE_DEAF_SOFTWARE
    if type_of(actor) != "Group":
        return True
    lemmy_shaped = isinstance(actor.get("attributedTo"), str) and "moderators" not in actor
    mobilizon_shaped = "openness" in actor or "members" in actor
    return not (lemmy_shaped or mobilizon_shaped)


async def moderators_of(fed: Federation, actor: dict) -> list[str]:
    """Who runs a remote group: its moderators collection (FEP-1b12), Mobilizon's administrators, else []."""
    found: list[str] = []
    attributed = actor.get("attributedTo")
    if isinstance(attributed, str):
        collection = await _document(fed, attributed)
        found = ids(collection.get("orderedItems") or collection.get("items"))
    elif isinstance(attributed, list):
        found = [id_of(a) for a in attributed if type_of(a) in ("Person", None) and id_of(a)]
    if not found and isinstance(actor.get("members"), str):
        collection = await _document(fed, actor["members"])
        items = collection.get("orderedItems") or collection.get("items") or []
        found = [id_of(m.get("actor")) for m in items if isinstance(m, dict) and m.get("role") in ADMIN_ROLES and id_of(m.get("actor"))]
    return [uri for uri in dict.fromkeys(found) if uri and not fed.urls.is_local(uri)][:MAX_MODERATORS]


async def on_invite_sent(fed: Federation, event: Event, group: Group | None) -> bool:
    """An invite to collaborate, to a group whose software ignores Invite: a follow and a message instead (True)."""
    invite = await Invite.get(id=event.payload["invite_id"]).prefetch_related("counterpart", "group", "collaboration")
    remote = await RemoteActor.get_or_none(account_id=invite.counterpart_id).prefetch_related("peer")
    if invite.collaboration is None or remote is None:
        return False
    software = await peer_software(fed, remote.peer.host)
    if software and understands_invite(software, {}):
        return False  # known to take Invite: no need to read the actor's shape
    actor = await _document(fed, remote.uri)
    if understands_invite(software, actor):
        return False
    collab = invite.collaboration
    follow = await spaces.follow_partner(fed, collab, invite.counterpart)
    if follow is not None:
        await invites.sent_as_follow(invite, follow)
    space = await collab.group
    moderators = await moderators_of(fed, actor) or [remote.uri]
    told = 0
    for uri in moderators:
        try:
            account = await account_for(fed, uri)
        except FederationError as exc:
            log.info("invite #%s: moderator %s cannot be reached: %s", invite.id, uri, exc)
            continue
        language = await language_for(account, invite.group)
        text = fed.catalogs.get(language).gettext(INVITE_TEXT) % {
            "group": invite.group.name, "handle": f"@{invite.group.slug}@{fed.urls.host}",
            "target": invite.counterpart.display_name or invite.counterpart.handle or remote.uri,
            "space": invite.object_name or space.name, "hashtag": collab.hashtag or space.slug,
        }
        if invite.message:
            text += f" {invite.message}"
        told += await tell(fed, account, text, link=fed.urls.group(space.slug), language=language)
    log.info("invite #%s to %s (%s): sent as a follow of %s and %d message(s)", invite.id, remote.uri, software or "unknown",
             space.slug, told)
    return True


async def on_invite_revoked(fed: Federation, event: Event, group: Group | None) -> bool:
    """An invite that went out as the space's follow is withdrawn: that follow is undone while it is still unanswered
    (an Undo of the Follow goes out), and no Undo of an Invite the group never got (True); False for other invites."""
    invite = await Invite.get(id=event.payload["invite_id"]).prefetch_related("follow__group", "follow__target")
    if invite.follow is None:
        return False
    if invite.follow.state == "pending":
        await collaborations.unfollow_group(invite.follow.group, invite.follow.target)
    return True


# --- outbound: refused joins explained to Lemmy-family users --------------------------------------------------


async def refusal_case(fed: Federation, group: Group, membership: Membership, software: str | None) -> str:
    """Why ``membership``'s person cannot join: leaky, banned, blocked or declined (see :data:`REFUSAL_TEXTS`)."""
    if membership.state == "banned":
        return "banned"
    if await blocks.group_blocked(group, membership.account.uri):
        return "blocked"
    closed = group.join_policy != "open" or group.visibility != "public"
    if closed and software in set(fed.settings.refuse_leaky_software):
        return "leaky"
    return "declined"


async def on_join_refused(fed: Federation, event: Event, group: Group | None) -> bool:
    """A Lemmy/Mbin/kbin user may not join: a direct message says why; False, so the Reject still goes out."""
    if group is None:
        return False
    membership = await Membership.get(id=event.payload["membership_id"]).prefetch_related("account")
    remote = await RemoteActor.get_or_none(account_id=membership.account_id, gone=False)
    if remote is None:
        return False
    software = await peer_software(fed, host_of(remote.uri))
    if software not in SILENT_REJECT_SOFTWARE:
        return False
    case = await refusal_case(fed, group, membership, software)
    language = await language_for(membership.account, group)
    text = fed.catalogs.get(language).gettext(REFUSAL_TEXTS[case]) % {
        "group": group.name, "handle": f"@{group.slug}@{fed.urls.host}", "software": software.capitalize()}
    reason = event.payload.get("reason")
    if case == "declined" and isinstance(reason, str) and reason.strip():
        text += f" {reason.strip()}"
    await tell(fed, membership.account, text, link=fed.urls.group(group.slug), language=language)
    return False


FEATURE = Feature(
    name="partners",
    inbound={
        ("Create", ANY): First(on_followed_create),
        ("Announce", ANY): First(on_followed_announce),
    },
    outbound={
        "invite.sent": First(on_invite_sent),
        "invite.revoked": First(on_invite_revoked),
        "membership.rejected": First(on_join_refused),
    },
)
"""Lemmy, Mbin, kbin, Mobilizon and Friendica groups as partners: their posts in, invites and refusals they understand."""
