"""Processing stored inbox items: find the handler for (activity type, object type) and run it.

The handler table is data (``HANDLERS``) that tests list and check against real payloads. Each
handler turns the activity into calls of hub services and returns an ``Outcome``; anything it does
not act on is ``ignored`` with a recorded reason, never an exception that loses the item.
"""

from __future__ import annotations

import json
import re

from federation.campaigns import INBOUND_HANDLERS as CAMPAIGN_HANDLERS, after_group_post, route_reply
from federation.collaboration import INBOUND_HANDLERS
from federation.context import Federation
from federation.features.decisions import route_vote
from federation.errors import DocumentError, FederationError, FetchError, OriginError, ResponseTooLarge, UnsafeAddressError
from federation.fetch import FetchStatusError, fetch_document, host_of, same_host
from federation.handling import ANY, Handler, Incoming, Outcome, done, ignored
from federation.moderation import INBOUND_HANDLERS as MODERATION_HANDLERS, refuse_leaky_follow
from federation.objects import draft_from
from federation.nodeinfo import peer_software
from federation.remote import account_for, fetch_actor
from federation.vocab import (
    MAX_ID_LENGTH,
    MAX_MENTIONS,
    POST_TYPES,
    audience,
    id_of,
    is_http_id,
    malformed_field,
    mention_count,
    mentions,
    parse_time,
    type_of,
)
from hub.clock import now
from hub.errors import Conflict, HubError, NotFound, PermissionDenied
from hub.models import Account, Group, InboxItem, Invite, Membership, Post
from hub.queue import finish
from hub.services import blocks, invites, members, posts


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


async def _local_group(fed: Federation, url: str | None) -> Group | None:
    slug = fed.urls.group_slug(url) if url else None
    return await Group.get_or_none(slug=slug) if slug else None


async def target_groups(fed: Federation, activity: dict, obj: dict) -> list[Group]:
    """Local groups an activity is for: addressed, named as audience, mentioned, or replied to."""
    candidates = set(audience(activity, obj))
    for href, name in mentions(obj):
        if href:
            candidates.add(href)
        elif name and name.count("@") == 2 and name.split("@")[2].lower() == fed.urls.host:
            candidates.add(fed.urls.group(name.split("@")[1].lower()))
    found: dict[int, Group] = {}
    for url in candidates:
        group = await _local_group(fed, url)
        if group is not None:
            found[group.id] = group
    reply_to = id_of(obj.get("inReplyTo"))
    if reply_to:
        for parent in await Post.filter(uri=reply_to, via_id=None).prefetch_related("group"):
            found[parent.group.id] = parent.group
    return list(found.values())


async def on_follow(fed: Federation, item: Incoming) -> Outcome:
    """Follow of a local group = asking to join (accepted, pending or rejected by the domain)."""
    group = await _local_group(fed, item.object_id)
    if group is None:
        return ignored("Follow of something that is not a local group")
    actor = await fetch_actor(fed, item.actor)
    account = await actor.account
    await peer_software(fed, host_of(actor.uri))
    refused = await refuse_leaky_follow(fed, group, account, follow_uri=item.activity["id"])
    if refused is not None:
        return refused
    invited = await invites.use_person_invite(group, account)
    decision = await members.request_join(group, account, follow_uri=item.activity["id"], pre_approved=invited)
    return done(f"join {decision.outcome}" + (" (invited)" if invited else ""))


async def on_undo_follow(fed: Federation, item: Incoming) -> Outcome:
    """Undo of a Follow = leaving; only the follower may undo their own Follow."""
    follow_actor = id_of(item.obj.get("actor")) if item.obj else None
    if follow_actor is not None and follow_actor != item.actor:
        return ignored("Undo of someone else's Follow")
    account = await account_for(fed, item.actor)
    group = await _local_group(fed, id_of(item.obj.get("object")) if item.obj else None)
    query = Membership.filter(account=account)
    if group is not None:
        query = query.filter(group=group)
    elif item.object_id:
        query = query.filter(follow_uri=item.object_id)
    else:
        return ignored("Undo names no Follow")
    left = 0
    for membership in await query.prefetch_related("group"):
        if await members.leave(membership.group, account) is not None:
            left += 1
    return done(f"left {left} group(s)") if left else ignored("no membership to end")


async def _object_of(fed: Federation, item: Incoming) -> dict:
    """The posted object: embedded (origin already checked by the inbox) or fetched from its own id."""
    if item.obj is not None:
        return item.obj
    if not item.object_id or not same_host(item.object_id, item.actor):
        raise OriginError("the object is not on the actor's host")
    return await fetch_document(fed.client, item.object_id, sign=await fed.instance_auth(), local_host=fed.urls.host)


def unusable_post(obj: dict, item: Incoming) -> Outcome | None:
    """Why a posted object cannot be taken (no id, a field of the wrong type, mention spam), else None."""
    if not is_http_id(obj.get("id")):
        return ignored(f"the object has no id (an http(s) URL of at most {MAX_ID_LENGTH} characters)")
    problem = malformed_field(obj, item.activity)
    if problem is not None:
        return ignored(problem)
    count = mention_count(obj)
    if count > MAX_MENTIONS:
        return ignored(f"the post mentions {count} accounts; more than {MAX_MENTIONS} mentions are refused as spam")
    return None


async def on_create(fed: Federation, item: Incoming) -> Outcome:
    """A post (or reply) to local groups: published or held for each group the author is a member of."""
    obj = await _object_of(fed, item)
    if type_of(obj) not in POST_TYPES:
        return ignored(f"Create of {type_of(obj)} is not a post")
    if id_of(obj.get("attributedTo")) != item.actor:
        return ignored("the object is attributed to someone else")
    refusal = unusable_post(obj, item)
    if refusal is not None:
        return refusal
    if await posts.is_tombstoned(obj["id"], by=item.actor):
        return ignored("the post was deleted before its Create arrived")
    answered = await route_vote(fed, item, obj) or await route_reply(fed, item, obj)  # votes; answers to calls and alerts
    if answered is not None:
        return answered
    groups = await target_groups(fed, item.activity, obj)
    if not groups:
        return ignored("not addressed to a local group")
    author = await account_for(fed, item.actor)
    raw = json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    results = []
    for group in groups:
        draft = draft_from(item.activity, obj, raw, group, fed)
        if draft.visibility == "direct":
            results.append(f"{group.slug}: direct message, not a post")
            continue
        try:
            published = await posts.submit(group, author, draft)
            results.append(f"{group.slug}: {published.post.state}")
            if published.created:
                results += [f"{group.slug}: {note}" for note in await after_group_post(fed, group, published.post, obj)]
        except PermissionDenied as exc:
            await posts.refuse(group, author, activity_uri=item.activity["id"], reason=str(exc))
            results.append(f"{group.slug}: refused ({exc})")
        except Conflict as exc:
            results.append(f"{group.slug}: {exc}")
    return done("; ".join(results))


async def on_update(fed: Federation, item: Incoming) -> Outcome:
    """An author's edit of a post the hub knows; other Updates (profiles) refresh the actor cache."""
    obj = await _object_of(fed, item)
    if type_of(obj) not in POST_TYPES:
        if obj.get("id") == item.actor:
            await account_for(fed, item.actor)
            return done("actor refreshed")
        return ignored(f"Update of {type_of(obj)} is not handled")
    if id_of(obj.get("attributedTo")) != item.actor:
        return ignored("the object is attributed to someone else")
    refusal = unusable_post(obj, item)
    if refusal is not None:
        return refusal
    post = await Post.filter(uri=obj["id"]).prefetch_related("group").first()
    if post is None:
        return ignored("Update of a post this hub does not have")
    author = await account_for(fed, item.actor)
    raw = json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    draft = draft_from(item.activity, obj, raw, post.group, fed)
    try:
        await posts.edit(author, draft, edited_at=parse_time(obj.get("updated")))
    except (PermissionDenied, Conflict, NotFound) as exc:
        return ignored(str(exc))
    return done("post edited")


async def on_delete(fed: Federation, item: Incoming) -> Outcome:
    """Delete of a post by its author (tombstoned even if not yet seen), or of the actor itself."""
    target = item.object_id
    if not is_http_id(target):
        return ignored(f"Delete names no http(s) id of at most {MAX_ID_LENGTH} characters")
    if not same_host(target, item.actor):
        return ignored("Delete of an object on another host")
    account = await account_for_existing(item.actor)
    if target == item.actor:
        if account is None:
            return ignored("Delete of an unknown actor")
        count = await members.mark_gone(account)
        return done(f"actor deleted; {count} membership(s) ended")
    if account is None:
        account = await account_for(fed, item.actor)
    raw = json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    try:
        rows = await posts.delete(account, target, activity_json=raw)
    except PermissionDenied as exc:
        return ignored(str(exc))
    return done(f"post deleted in {len(rows)} group(s)" if rows else "tombstone recorded")


async def account_for_existing(uri: str) -> Account | None:
    """The known account of an actor without fetching it (a deleted actor can no longer be fetched)."""
    return await Account.get_or_none(uri=uri)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("Follow", ANY): on_follow,
    ("Undo", "Follow"): on_undo_follow,
    ("Create", ANY): on_create,
    ("Update", ANY): on_update,
    ("Delete", ANY): on_delete,
    **INBOUND_HANDLERS,
    **MODERATION_HANDLERS,
    **CAMPAIGN_HANDLERS,  # relay Accept/Reject/Announce, falling back to the collaboration handlers
}
"""(activity type, object type or ANY) -> handler. Types not listed are ignored with a reason."""

UNSUPPORTED = {
    "Like": "likes are not counted: Causeway measures impact, not likes",
    "Dislike": "dislikes are not counted",
    "EmojiReact": "reactions are not counted",
    "View": "views are not recorded",
}
"""Activity types deliberately ignored, with the reason stored on the inbox item."""


def handler_for(activity: dict, obj: dict | None) -> Handler | None:
    """The handler for an activity, by (type, object type), falling back to (type, ANY)."""
    kind = type_of(activity) or ""
    obj_kind = type_of(obj) or ""
    return HANDLERS.get((kind, obj_kind)) or HANDLERS.get((kind, ANY))


async def process(fed: Federation, activity: dict, actor: str) -> Outcome:
    """Run the handler for one activity (already verified and origin-checked by the inbox)."""
    obj = activity.get("object")
    obj_dict = obj if isinstance(obj, dict) else None
    object_id = id_of(obj)
    if type_of(activity) == "Undo" and obj_dict is None and object_id:
        if await Membership.filter(follow_uri=object_id).exists():
            obj_dict = {"type": "Follow", "id": object_id}
        elif await Invite.filter(invite_uri=object_id, direction="incoming").exists():
            obj_dict = {"type": "Invite", "id": object_id}
    handler = handler_for(activity, obj_dict)
    if handler is None:
        kind = type_of(activity) or "?"
        return ignored(UNSUPPORTED.get(kind, f"{kind} of {type_of(obj_dict) or 'a reference'} is not handled"))
    return await handler(fed, Incoming(activity, actor, obj_dict, object_id))


def printable(reason: str | None, limit: int = 2000) -> str | None:
    """A recorded reason without control characters (a peer's text may carry NUL, which PostgreSQL refuses), capped."""
    return _CONTROL.sub("\ufffd", reason)[:limit] if reason else reason


def is_permanent(exc: FetchError) -> bool:
    """Fetch failures a retry cannot fix: unusable documents, refused addresses, oversize, 4xx but 401/408/429."""
    if isinstance(exc, (DocumentError, UnsafeAddressError, ResponseTooLarge)):
        return True
    return isinstance(exc, FetchStatusError) and 400 <= exc.status < 500 and exc.status not in (401, 408, 429)


async def process_item(fed: Federation, item: InboxItem) -> None:
    """Process a claimed inbox item and record its final state (network failures propagate for a retry)."""
    activity = json.loads(item.body)
    try:
        if await blocks.instance_blocked(item.actor_uri):
            outcome = ignored("the instance blocks the sender's domain")  # blocked after the inbox accepted it
        else:
            outcome = await process(fed, activity, item.actor_uri)
    except FetchError as exc:
        if not is_permanent(exc):
            raise
        outcome = ignored(f"fetching failed for good: {exc.reason}")
    except (FederationError, HubError) as exc:
        outcome = ignored(str(exc))
    await finish(item, outcome.state, processed_at=now(), last_error=printable(outcome.reason))
