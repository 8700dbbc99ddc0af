"""Groups with groups on the wire: Invite / Accept / Reject / Undo of invites, group follows, relayed Announces.

Its inbound and outbound handlers are declared in ``FEATURE``; ``precheck`` refuses at the inbox door
an answer to one of our invites by anyone but the invitee. Local counterparts (two groups on this hub) are answered in-process, never over HTTP to ourselves.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime

from federation import activities
from federation.context import Federation
from federation.delivery import enqueue
from federation.errors import FetchError, PayloadError
from federation.fetch import fetch_document, same_host
from federation.integrity import proven_object
from federation.handling import ANY, Feature, Incoming, Outcome, done, ignored
from federation.local_groups import local_group_account, local_group_of
from federation.objects import clean_object, draft_from
from federation.nodeinfo import announce_form
from federation.remote import account_for, fetch_actor
from federation.vocab import POST_TYPES, id_of, is_http_id, type_of
from federation.features import spaces
from federation.webfinger import resolve_actor_url
from hub.clock import now
from hub.errors import InvalidInput
from hub.languages import language_for
from hub.models import Account, Collaboration, Event, Group, GroupFollow, Invite, RemoteActor
from hub.services import collaborations, groups, invites, members, posts

log = logging.getLogger("causeway.spaces")

async def account_of(fed: Federation, handle_or_url: str) -> Account:
    """The account of a handle or actor URL: a local group's own account, or a fetched remote actor's."""
    url = await resolve_actor_url(fed, handle_or_url)
    slug = fed.urls.group_slug(url)
    if slug is not None:
        return await local_group_account(fed, await groups.get_group(slug))
    if fed.urls.is_local(url):
        raise InvalidInput(f"{handle_or_url} is not a group of this hub")
    return await account_for(fed, url)


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    if not slug:
        raise InvalidInput("a collaboration needs a name with letters or digits")
    return slug


async def start_collaboration(
    fed: Federation, host: Group, name: str, *, description: str = "", hashtag: str | None = None,
    ends_at: datetime | None = None, by: Account | None = None,
) -> Collaboration:
    """The collaboration called ``name`` hosted by ``host``, created (with ``host`` as relaying partner) if new."""
    collab = await collaborations.find_collaboration(host, name)
    if collab is not None:
        return collab
    host_account = await local_group_account(fed, host)
    collab = await collaborations.create_collaboration(
        host, f"{host.slug}_{_slugify(name)}"[:64].strip("_"), name, host_account=host_account,
        description=description, hashtag=hashtag, ends_at=ends_at, by=by,
    )
    await collaborations.accept_local_partner(
        collab, host, host_account, await local_group_account(fed, await collab.group),
        follow_uri=fed.urls.group_activity(host.slug, "follow", uuid.uuid4().hex),
    )
    await spaces.follow_partner(fed, collab, host_account)
    return collab


async def send_invite(
    fed: Federation, group: Group, target: Account, *, collaboration: str | None = None,
    message: str | None = None, by: Account | None = None,
) -> Invite:
    """Invite a group to the named collaboration (started if new), or a person to ``group``."""
    invite_uri = fed.urls.group_activity(group.slug, "invite", uuid.uuid4().hex)
    if collaboration:
        collab = await start_collaboration(fed, group, collaboration, description=message or "", by=by)
        collab_group = await collab.group
        return await invites.send(group, target, invite_uri=invite_uri, object_uri=fed.urls.group(collab_group.slug),
                                  object_name=collab_group.name, collaboration=collab, message=message, by=by)
    if await local_group_of(fed, target) is not None:
        raise InvalidInput("to invite a group, name the collaboration it is invited to")
    return await invites.send(group, target, invite_uri=invite_uri, object_uri=fed.urls.group(group.slug),
                              object_name=group.name, message=message, by=by)


# --- inbound -------------------------------------------------------------------------------------


async def precheck(fed: Federation, activity: dict, actor: str) -> None:
    """Refuse at the door (4xx, nothing stored) an Accept/Reject of a local invite by anyone but the invitee."""
    if type_of(activity) not in ("Accept", "Reject"):
        return
    object_id = id_of(activity.get("object"))
    if not is_http_id(object_id) or not fed.urls.is_local(object_id) or "/activities/invite/" not in object_id:
        return
    invite = await Invite.get_or_none(invite_uri=object_id, direction="outgoing").prefetch_related("counterpart")
    if invite is None:
        raise PayloadError("no such invite", status=404)
    if invite.counterpart.uri != actor:
        raise PayloadError("only the invited group may answer this invite", status=403)
    if invite.state != "pending" or invite.expires_at <= now():
        raise PayloadError(f"the invite is no longer open ({'expired' if invite.state == 'pending' else invite.state})", status=410)


async def on_invite(fed: Federation, item: Incoming) -> Outcome:
    """A remote group invites a local group to a collaboration it hosts."""
    target = id_of(item.activity.get("target"))
    slug = fed.urls.group_slug(target) if target else None
    group = await Group.get_or_none(slug=slug) if slug else None
    if group is None:
        return ignored("Invite whose target is not a local group")
    collab_uri = item.object_id
    if not collab_uri or not same_host(collab_uri, item.actor):
        return ignored("Invite to something not hosted by the inviter's server")
    inviter = await account_for(fed, item.actor)
    name = None
    try:
        name = (await fetch_actor(fed, collab_uri)).name
    except FetchError:
        pass
    summary = item.activity.get("summary") if isinstance(item.activity.get("summary"), str) else None
    invite = await invites.receive(group, inviter, invite_uri=item.activity["id"], object_uri=collab_uri, object_name=name, message=summary)
    return done(f"invite #{invite.id} recorded for {group.slug}")


async def _answer(fed: Federation, item: Incoming, accepted: bool) -> Outcome:
    """Accept/Reject of one of our invites or of a local group's Follow of another group."""
    object_id = item.object_id
    if not object_id:
        return ignored("answer to nothing")
    answerer = await account_for(fed, item.actor)
    invite = await Invite.get_or_none(invite_uri=object_id, direction="outgoing").prefetch_related("collaboration")
    if invite is not None:
        if invite.counterpart_id != answerer.id:
            return ignored("answer by someone other than the invited group")
        if invite.kind == "membership":
            return ignored("a person's answer to an invite: their follow is what counts")
        await invites.answered_remotely(invite, "accepted" if accepted else "rejected")
        if accepted and invite.collaboration is not None:
            await collaborations.add_partner(invite.collaboration, answerer)
            await spaces.follow_partner(fed, invite.collaboration, answerer)
        return done(f"invite #{invite.id} {'accepted' if accepted else 'rejected'}")
    follow = await collaborations.follow_answered(object_id, answerer, accepted=accepted)
    if follow is not None:
        answered = await invites.answered_by_follow(follow)
        return done(f"group follow {follow.state}" + "".join(f"; invite #{i.id} {i.state}" for i in answered))
    return ignored("answer to an unknown invite or follow")


async def on_accept(fed: Federation, item: Incoming) -> Outcome:
    """Accept of an invite we sent or of a Follow a local group sent."""
    return await _answer(fed, item, True)


async def on_reject(fed: Federation, item: Incoming) -> Outcome:
    """Reject of an invite we sent or of a Follow a local group sent."""
    return await _answer(fed, item, False)


async def on_undo_invite(fed: Federation, item: Incoming) -> Outcome:
    """The inviting group withdrew an invite it sent to a local group."""
    invite = await Invite.get_or_none(invite_uri=item.object_id or "", direction="incoming").prefetch_related("counterpart")
    if invite is None or invite.counterpart.uri != item.actor:
        return ignored("Undo of an invite this hub did not receive from this actor")
    await invites.answered_remotely(invite, "revoked")
    return done(f"invite #{invite.id} revoked")


async def _announced_object(fed: Federation, item: Incoming) -> dict:
    """The post an Announce points at: embedded with a valid FEP-8b32 proof by its author, else fetched from its origin."""
    inner = item.obj
    target = item.object_id
    if inner is not None and type_of(inner) in ("Create", "Update", "Page", "Note", "Article", "Question"):
        nested = inner.get("object") if type_of(inner) in ("Create", "Update") else None
        target = id_of(nested) or id_of(inner)
    if not target:
        raise FetchError("the Announce names no object")
    if fed.urls.is_local(target):
        raise FetchError("an Announce of this hub's own object")
    proven = await proven_object(fed, inner)  # FEP-8b32: a valid proof by its author spares the refetch
    if proven is not None and proven.get("id") == target:
        return proven
    return await fetch_document(fed.client, target, sign=await fed.instance_auth(), local_host=fed.urls.host)


async def on_announce(fed: Federation, item: Incoming) -> Outcome:
    """A followed group (or a collaboration we partner in) announced a post: relaying groups re-announce it once."""
    source = await Account.get_or_none(uri=item.actor)
    if source is None or not await collaborations.followers_of(source):
        return ignored("Announce by a group no local group relays")
    if item.obj is not None and type_of(item.obj) in ("Delete", "Undo"):
        return ignored("retractions reach relayed copies through the author's Delete")
    obj = await _announced_object(fed, item)
    return await relay_shared(fed, source, item.obj if type_of(item.obj) == "Create" else {}, obj)


async def relay_shared(fed: Federation, source: Account, activity: dict, obj: dict) -> Outcome:
    """A post that a followed group shared (announced, or published itself): each relaying group takes it once.

    ``activity`` is the Create that carried it (its addressing counts for relay filters), or {}.
    """
    hashtags, addressed = await spaces.shared_tags(fed, activity, obj)
    groups = await collaborations.relaying_groups(source, hashtags=hashtags, addressed=addressed)
    if not groups:
        return ignored("the post carries no hashtag a relaying group follows for")
    author_uri = id_of(obj.get("attributedTo"))
    if type_of(obj) not in POST_TYPES or not author_uri or not same_host(author_uri, obj["id"]):
        return ignored("the announced object is not a post by an actor of its own server")
    author = await account_for(fed, author_uri)
    raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    results = []
    cleaned = await clean_object(obj)
    for group in groups:
        draft = draft_from({"id": None}, obj, raw, group, fed, cleaned)
        if draft.visibility not in ("public", "unlisted"):
            results.append(f"{group.slug}: not public, not relayed")
            continue
        refused = await spaces.refusal(fed, group, source, author)
        if refused is not None:
            results.append(f"{group.slug}: refused ({refused})")
            continue
        relayed = await posts.relay(group, source, author, draft)
        if relayed is not None and group.kind == "collaboration":
            results += [f"{group.slug}: {note}" for note in await spaces.gather_shared(group, relayed.post, obj, hashtags)]
        if relayed is None:
            log.info("%s already had %s (shared again by %s): not relayed twice", group.slug, obj["id"], source.uri)
        results.append(f"{group.slug}: {'relayed' if relayed else 'already had it'}")
    return done("; ".join(results))


# --- outbound ------------------------------------------------------------------------------------


async def _remote(account: Account) -> RemoteActor | None:
    return await RemoteActor.get_or_none(account_id=account.id).prefetch_related("peer")


async def on_group_follow_requested(fed: Federation, event: Event, group: Group | None) -> None:
    """Send the Follow of another group (answered in-process when that group is local)."""
    row = await GroupFollow.get(id=event.payload["group_follow_id"]).prefetch_related("target", "group")
    follower = await local_group_account(fed, row.group)
    target_group = await local_group_of(fed, row.target)
    if target_group is not None:
        await members.request_join(target_group, follower, follow_uri=row.follow_uri)
        return
    remote = await _remote(row.target)
    if remote is None:
        return
    follow = {"@context": activities.AS_CONTEXT, "id": row.follow_uri, "type": "Follow",
              "actor": follower.uri, "object": row.target.uri, "to": [row.target.uri]}
    await enqueue(follow, actor_uri=follower.uri, inboxes=[remote.inbox])


async def on_group_follow_undone(fed: Federation, event: Event, group: Group | None) -> None:
    """Send the Undo of a group's Follow (in-process when the followed group is local)."""
    row = await GroupFollow.get(id=event.payload["group_follow_id"]).prefetch_related("target", "group")
    follower = await local_group_account(fed, row.group)
    target_group = await local_group_of(fed, row.target)
    if target_group is not None:
        await members.leave(target_group, follower)
        return
    remote = await _remote(row.target)
    if remote is None:
        return
    undo = {"@context": activities.AS_CONTEXT, "id": activities.new_id(fed.urls, row.group, "undo"), "type": "Undo",
            "actor": follower.uri, "to": [row.target.uri],
            "object": {"id": row.follow_uri, "type": "Follow", "actor": follower.uri, "object": row.target.uri}}
    await enqueue(undo, actor_uri=follower.uri, inboxes=[remote.inbox])


def _invite_activity(fed: Federation, invite: Invite, inviter: str) -> dict:
    return {
        "@context": activities.AS_CONTEXT,
        "id": invite.invite_uri,
        "type": "Invite",
        "actor": inviter,
        "object": invite.object_uri,
        "target": invite.counterpart.uri,
        "to": [invite.counterpart.uri],
        "summary": invite.message or "",
        "endTime": invite.expires_at.isoformat().replace("+00:00", "Z"),
    }


async def on_invite_sent(fed: Federation, event: Event, group: Group | None) -> None:
    """Deliver an Invite, plus a readable direct message where the receiver's software ignores Invite."""
    invite = await Invite.get(id=event.payload["invite_id"]).prefetch_related("counterpart", "group")
    inviter = fed.urls.group(invite.group.slug)
    target_group = await local_group_of(fed, invite.counterpart)
    if target_group is not None:
        await invites.receive(
            target_group, await local_group_account(fed, invite.group), invite_uri=f"{invite.invite_uri}#local",
            object_uri=invite.object_uri, object_name=invite.object_name, message=invite.message,
        )
        return
    remote = await _remote(invite.counterpart)
    if remote is None:
        return
    await enqueue(_invite_activity(fed, invite, inviter), actor_uri=inviter, inboxes=[remote.inbox])
    if invite.kind == "membership" or announce_form(remote.peer.software) == "object":
        handle = f"@{invite.group.slug}@{fed.urls.host}"
        language = await language_for(invite.counterpart, invite.group)
        t = fed.catalogs.get(language)
        if invite.kind == "membership":
            text = t.gettext("You are invited to join %(group)s (%(handle)s). Follow %(handle)s and you are in.") % {
                "group": invite.group.name, "handle": handle}
        else:
            text = t.gettext("%(group)s (%(handle)s) invites you to collaborate in %(space)s.") % {
                "group": invite.group.name, "handle": handle, "space": invite.object_name or invite.object_uri}
        if invite.message:
            text += f" {invite.message}"
        note = activities.direct_note(fed.urls, inviter, inviter, to=remote.uri, handle=invite.counterpart.handle,
                                      text=text, link=invite.object_uri, language=language)
        await enqueue(note, actor_uri=inviter, inboxes=[remote.inbox])


async def _answer_local(fed: Federation, invite: Invite, state: str) -> bool:
    """For an invite between two local groups, answer the sender's row in-process."""
    if not invite.invite_uri.endswith("#local"):
        return False
    outgoing = await Invite.get_or_none(invite_uri=invite.invite_uri.removesuffix("#local")).prefetch_related("collaboration")
    if outgoing is not None and outgoing.state == "pending":
        await invites.answered_remotely(outgoing, state)
        if state == "accepted" and outgoing.collaboration is not None:
            partner = await local_group_account(fed, invite.group)
            await collaborations.add_partner(outgoing.collaboration, partner)
            await spaces.follow_partner(fed, outgoing.collaboration, partner)
    return True


async def _follow_collaboration(fed: Federation, invite: Invite) -> None:
    """After accepting, the partner follows the collaboration and relays its posts to its members."""
    collab_account = await Account.get_or_none(uri=invite.object_uri)
    if collab_account is None:
        collab_group = await Group.get_or_none(slug=fed.urls.group_slug(invite.object_uri) or "")
        if collab_group is None:
            try:
                collab_account = await account_for(fed, invite.object_uri)
            except FetchError:
                return
        else:
            collab_account = await local_group_account(fed, collab_group)
    follow_uri = activities.new_id(fed.urls, invite.group, "follow")
    await collaborations.follow_group(invite.group, collab_account, follow_uri=follow_uri, relay=True)


async def on_invite_answered(fed: Federation, event: Event, group: Group | None) -> None:
    """The invited local group accepted or rejected: tell the inviter (and follow the collaboration on accept)."""
    invite = await Invite.get(id=event.payload["invite_id"]).prefetch_related("counterpart", "group")
    state = "accepted" if event.kind == "invite.accepted" else "rejected"
    if state == "accepted":
        await _follow_collaboration(fed, invite)
    if await _answer_local(fed, invite, state):
        return
    remote = await _remote(invite.counterpart)
    if remote is None:
        return
    me = fed.urls.group(invite.group.slug)
    answer = {
        "@context": activities.AS_CONTEXT,
        "id": activities.new_id(fed.urls, invite.group, "accept" if state == "accepted" else "reject"),
        "type": "Accept" if state == "accepted" else "Reject",
        "actor": me,
        "to": [remote.uri],
        "object": {"id": invite.invite_uri, "type": "Invite", "actor": remote.uri, "object": invite.object_uri, "target": me},
    }
    await enqueue(answer, actor_uri=me, inboxes=[remote.inbox])


async def on_invite_revoked(fed: Federation, event: Event, group: Group | None) -> None:
    """The inviting local group withdrew its invite: Undo it at the invitee."""
    invite = await Invite.get(id=event.payload["invite_id"]).prefetch_related("counterpart", "group")
    local_target = await local_group_of(fed, invite.counterpart)
    if local_target is not None:
        incoming = await Invite.get_or_none(invite_uri=f"{invite.invite_uri}#local")
        if incoming is not None and incoming.state == "pending":
            await invites.answered_remotely(incoming, "revoked")
        return
    remote = await _remote(invite.counterpart)
    if remote is None:
        return
    me = fed.urls.group(invite.group.slug)
    undo = {"@context": activities.AS_CONTEXT, "id": activities.new_id(fed.urls, invite.group, "undo"), "type": "Undo",
            "actor": me, "to": [remote.uri], "object": _invite_activity(fed, invite, me)}
    undo["object"].pop("@context", None)
    await enqueue(undo, actor_uri=me, inboxes=[remote.inbox])


FEATURE = Feature(
    name="collaboration",
    inbound={
        ("Invite", ANY): on_invite,
        ("Accept", ANY): on_accept,
        ("Reject", ANY): on_reject,
        ("Undo", "Invite"): on_undo_invite,
        ("Announce", ANY): on_announce,
    },
    outbound={
        "group_follow.requested": on_group_follow_requested,
        "group_follow.undone": on_group_follow_undone,
        "invite.sent": on_invite_sent,
        "invite.accepted": on_invite_answered,
        "invite.rejected": on_invite_answered,
        "invite.revoked": on_invite_revoked,
    },
    hooks={"precheck": precheck},
)
"""Invites, group follows and relayed Announces; relays' Accepts and Announces run first (federation.features.relays)."""
