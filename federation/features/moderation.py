"""Moderation on the wire: reports (Flag), bans (Block), moderators (Add/Remove), removals, and retractions.

Inbound and outbound handlers are declared in ``FEATURE``.

Inbound:

- ``Flag`` (Mastodon, Lemmy, Mbin) lands in a group's reports queue when it names a local group
  (to/cc/audience) or a post of one, else in the instance admins' queue (reports about a group
  itself go there too: its organisers cannot judge their own group). Flags about nothing this hub
  knows are ignored.
- ``Block`` of a local group by a remote account ends its membership (Mastodon unfollows both ways);
  a Block of a local group's account by a group it follows marks that follow rejected (we were banned).
- ``Add``/``Remove`` to a moderators or featured collection: a remote group's own business, ignored.
- Retractions by a followed group — ``Announce{Delete|Remove}`` (FEP-1b12 form) or ``Undo{Announce}``
  (microblog form) — remove the copies relayed here from that group. A group retracts only what it
  relayed itself; a relayed author's Delete counts once the object's own server confirms it is gone.

Outbound (``{group}`` is the local group actor):

- ``membership.role`` → ``Add``/``Remove`` {actor: group, object: member, target: moderators}, announced
  to group-aware members, when someone enters or leaves owner/admin/moderator;
- ``membership.banned`` → ``Block`` {actor: group, object: member, target: group} to the member (with
  the Reject of their Follow, which Mastodon needs to drop the follow), announced to group-aware members;
  ``membership.unbanned`` → ``Undo{Block}`` the same way;
- ``post.removed`` → ``Undo`` of the group's boost for microblogs and ``Announce{Delete}`` for
  group-aware servers; members-only posts get a ``Delete`` of the group's Note (federation.features.members_only);
- ``report.forwarded`` → ``Flag`` from the instance actor to the reported account's server.
"""

from __future__ import annotations

import json

from federation import activities
from federation.activities import new_id
from federation.actors import AS_CONTEXT
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.errors import FetchError
from federation.fetch import FetchStatusError, fetch_document, same_host
from federation.handling import ANY, Feature, Incoming, Outcome, done, event_post, ignored
from federation.local_groups import local_group, local_group_account, local_group_of
from federation.remote import ACTOR_TYPES, fetch_actor
from federation.sanitize import plain_text
from federation.urls import AS_PUBLIC
from federation.vocab import audience, id_of, ids, type_of
from hub.errors import InvalidInput, NotFound
from hub.models import Account, Event, Group, GroupFollow, Membership, Post, RemoteActor, Report
from hub.services import blocks, collaborations, members, moderation, posts
from hub.services.members import MODERATOR_ROLES

MAX_FLAG_OBJECTS = 40
"""Ids read from one Flag's object list."""


# --- helpers -------------------------------------------------------------------------------------


def _public(group: Group) -> bool:
    return group.visibility == "public"


def _addressing(fed: Federation, group: Group, *extra_to: str) -> dict:
    """Public groups' moderation is public (as Lemmy's); a private group tells only its followers."""
    followers = fed.urls.group_followers(group.slug)
    to = [AS_PUBLIC, *extra_to] if _public(group) else [*extra_to]
    return {"to": to or [followers], "cc": [followers] if to else [], "audience": fed.urls.group(group.slug)}


def _announce(fed: Federation, group: Group, inner: dict, kind: str) -> dict:
    """The group's Announce of one of its own moderation activities (FEP-1b12)."""
    body = {k: v for k, v in inner.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": new_id(fed.urls, group, kind), "type": "Announce",
            "actor": fed.urls.group(group.slug), "object": body, **_addressing(fed, group)}


async def _send(fed: Federation, group: Group, activity: dict, inboxes: list[str]) -> None:
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


async def _announce_to_group_aware(fed: Federation, group: Group, inner: dict, kind: str, *, skip: set[str] = frozenset()) -> None:
    forms = await group_audience(fed, group)
    await _send(fed, group, _announce(fed, group, inner, kind), [i for i in forms.get("activity") if i not in skip])


# --- inbound: reports ----------------------------------------------------------------------------


async def _post_of(fed: Federation, uri: str) -> Post | None:
    """A post this hub has under ``uri``: a group's own Note id ({group}/posts/N) or a member's object id."""
    if fed.urls.is_local(uri):
        group_part, sep, number = uri.rstrip("/").rpartition("/posts/")
        group = await local_group(fed, group_part) if sep and number.isdigit() else None
        return await Post.get_or_none(id=int(number), group=group) if group is not None else None
    rows = await Post.filter(uri=uri).order_by("id")
    own = [p for p in rows if p.via_id is None]
    return (own or rows or [None])[0]


async def on_flag(fed: Federation, item: Incoming) -> Outcome:
    """A report from another server: into the group's queue it concerns, else the instance admins' queue."""
    named = ids(item.activity.get("object"), limit=MAX_FLAG_OBJECTS)
    if not named:
        return ignored("Flag names nothing")
    addressed = None
    for url in audience(item.activity):
        addressed = addressed or await local_group(fed, url)
    reported_group = target = None
    found: list[Post] = []
    for uri in named:
        group = await local_group(fed, uri)
        if group is not None:
            reported_group = reported_group or group
            target = target or uri
            continue
        post = await _post_of(fed, uri)
        if post is not None:
            found.append(post)
        elif target is None and await Account.filter(uri=uri).exists():
            target = uri
    if addressed is None and reported_group is None and not found and target is None:
        return ignored("Flag about nothing this hub knows")
    if reported_group is not None:
        queue = None
    else:
        queue = addressed or (await Group.get(id=found[0].group_id) if found else None)
    if queue is not None and await blocks.group_blocked(queue, item.actor):
        return ignored(f"{queue.slug} blocks the reporter's domain")
    if target is None and found:
        target = (await Account.get(id=found[0].author_id)).uri
    text = item.activity.get("content") or item.activity.get("summary") or ""
    comment = plain_text(text, max_length=moderation.MAX_COMMENT) if isinstance(text, str) else ""
    report = await moderation.receive_report(
        reporter_uri=item.actor, group=queue, target_uri=target, object_uris=[p.uri for p in found] or named,
        comment=comment, flag_uri=item.activity["id"],
    )
    return done(f"report #{report.id} in {'the queue of ' + queue.slug if queue else 'the instance queue'}")


# --- inbound: blocks and collections -------------------------------------------------------------


async def on_block(fed: Federation, item: Incoming) -> Outcome:
    """Someone blocked a local group (their membership ends), or a group we follow banned one of ours."""
    blocked = item.object_id
    group = await local_group(fed, blocked)
    if group is not None:
        account = await Account.get_or_none(uri=item.actor)
        left = await members.leave(group, account) if account is not None else None
        follow = await GroupFollow.get_or_none(group=group, target=account, state__in=["pending", "accepted"]) if account else None
        if follow is not None:
            await collaborations.follow_answered(follow.follow_uri, account, accepted=False)
        return done(f"{item.actor} blocked {group.slug}" + ("; membership ended" if left else "")) if (left or follow) \
            else ignored(f"{item.actor} blocked {group.slug}, which it had not joined")
    target = id_of(item.activity.get("target"))
    if target is not None and target != item.actor:
        return ignored("a Block in a group by someone other than that group: the group decides its own bans")
    return ignored("a Block of an account that is not on this hub")


async def on_undo_block(fed: Federation, item: Incoming) -> Outcome:
    """A lifted block: nothing is restored by itself (the follow may be sent again)."""
    return ignored("Undo of a Block: nothing to restore; a follow may be sent again")


async def on_collection_change(fed: Federation, item: Incoming) -> Outcome:
    """Add/Remove on a moderators or featured collection: only a group's own organisers decide those."""
    target = id_of(item.activity.get("target")) or ""
    if target.endswith("/moderators"):
        return ignored("only the group's own organisers appoint its moderators")
    if target.endswith("/featured"):
        return ignored("only the group's own organisers feature posts")
    return ignored(f"{type_of(item.activity)} to a collection is not handled")


# --- inbound: retractions by a followed group ----------------------------------------------------


async def _relayed_from(source: Account, uri: str | None) -> bool:
    return bool(uri) and await Post.filter(via=source, uri=uri, state__in=["published", "held"]).exists()


async def _confirmed_gone(fed: Federation, uri: str) -> bool:
    """Whether the object's own server says it no longer exists (404/410, or a Tombstone)."""
    try:
        document = await fetch_document(fed.client, uri, sign=await fed.instance_auth(), local_host=fed.urls.host)
    except FetchStatusError as exc:
        if exc.status in (404, 410):
            return True
        raise
    return type_of(document) == "Tombstone"


async def _withdraw(fed: Federation, source: Account, uri: str, why: str) -> Outcome:
    rows = await moderation.withdraw_relayed(source, uri, reason=f"{why} by {source.handle or source.uri}")
    return done(f"relayed copy removed in {len(rows)} group(s)")


async def on_announced_retraction(fed: Federation, item: Incoming) -> Outcome:
    """Announce{Delete|Remove|Undo} by a followed group: drop what we relayed from it."""
    source = await Account.get_or_none(uri=item.actor)
    inner = item.obj or {}
    kind = type_of(inner)
    if source is None:
        return ignored(f"Announce of {kind} by an unknown actor")
    if kind == "Remove" and (id_of(inner.get("target")) or "").endswith(("/moderators", "/featured")):
        return ignored("a remote group's moderators and featured posts are its own business")
    inner_object = inner.get("object")
    if kind == "Undo":
        if type_of(inner_object) != "Announce" or id_of(inner_object.get("actor")) != item.actor:
            return ignored("Announce of an Undo that is not of this group's Announce")
        uri = id_of(inner_object.get("object"))
        inner_actor = item.actor
    else:
        uri = id_of(inner_object)
        inner_actor = id_of(inner.get("actor"))
    if not await _relayed_from(source, uri):
        return ignored(f"{kind} of a post not relayed here from this group")
    if inner_actor == item.actor:
        return await _withdraw(fed, source, uri, "removed")
    if kind == "Delete":
        post = await Post.filter(via=source, uri=uri).first()
        author = await Account.get(id=post.author_id)
        if inner_actor == author.uri and await _confirmed_gone(fed, uri):
            await posts.delete(author, uri, activity_json=json.dumps(inner, separators=(",", ":")))
            return done("relayed post deleted by its author")
        return ignored("the post still exists at its own server")
    return ignored(f"{kind} by someone other than the group that announced it")


async def on_undo_announce(fed: Federation, item: Incoming) -> Outcome:
    """Undo of a followed group's boost (the microblog form of a retraction)."""
    source = await Account.get_or_none(uri=item.actor)
    announce = item.obj or {}
    if source is None or id_of(announce.get("actor")) != item.actor:
        return ignored("Undo of an Announce by someone else")
    uri = id_of(announce.get("object"))
    if not await _relayed_from(source, uri):
        return ignored("Undo of an Announce of a post not relayed here")
    return await _withdraw(fed, source, uri, "withdrawn")


async def on_announced_moderation(fed: Federation, item: Incoming) -> Outcome:
    """A followed group announced a ban or a moderator change: its own business."""
    return ignored(f"a remote group's {type_of(item.obj)} concerns its own members")


# --- outbound ------------------------------------------------------------------------------------


async def _membership(event: Event) -> tuple[Membership, Account, RemoteActor | None]:
    membership = await Membership.get(id=event.payload["membership_id"])
    account = await Account.get(id=membership.account_id)
    return membership, account, await RemoteActor.get_or_none(account_id=account.id)


def block_activity(fed: Federation, group: Group, membership: Membership, member_uri: str, reason: str | None) -> dict:
    """The group's Block of a member, as Lemmy sends a community ban (target: the group)."""
    block = {
        "@context": AS_CONTEXT,
        "id": fed.urls.group_activity(group.slug, "block", str(membership.id)),
        "type": "Block",
        "actor": fed.urls.group(group.slug),
        "object": member_uri,
        "target": fed.urls.group(group.slug),
        **_addressing(fed, group, member_uri),
    }
    if reason:
        block["summary"] = reason
    if membership.banned_until is not None:
        block["endTime"] = membership.banned_until.isoformat().replace("+00:00", "Z")
    return block


async def on_role(fed: Federation, event: Event, group: Group | None) -> None:
    """Add to / Remove from the moderators collection, announced to group-aware members."""
    was = event.payload.get("previous") in MODERATOR_ROLES
    now_moderates = event.payload.get("role") in MODERATOR_ROLES
    _membership_row, account, _actor = await _membership(event)
    if group is None or was == now_moderates or account.is_local:
        return
    kind = "Add" if now_moderates else "Remove"
    change = {
        "@context": AS_CONTEXT, "id": new_id(fed.urls, group, kind.lower()), "type": kind,
        "actor": fed.urls.group(group.slug), "object": account.uri, "target": fed.urls.group_moderators(group.slug),
        **_addressing(fed, group),
    }
    await _announce_to_group_aware(fed, group, change, f"announce-{kind.lower()}")


async def on_banned(fed: Federation, event: Event, group: Group | None) -> None:
    """Block the member (and Reject their Follow) at their inbox; announce the Block to group-aware members."""
    membership, account, actor = await _membership(event)
    if group is None:
        return
    follow_uri = event.payload.get("follow_uri") or membership.follow_uri
    if actor is None:
        if follow_uri and await local_group_of(fed, account) is not None:
            await collaborations.follow_answered(follow_uri, await local_group_account(fed, group), accepted=False)
        return
    block = block_activity(fed, group, membership, actor.uri, event.payload.get("reason"))
    await _send(fed, group, block, [actor.inbox])
    if follow_uri:
        await _send(fed, group, activities.follow_reply(fed.urls, group, "Reject", follow_uri=follow_uri, follower=actor.uri), [actor.inbox])
    await _announce_to_group_aware(fed, group, block, "announce-block", skip={actor.inbox})


async def on_unbanned(fed: Federation, event: Event, group: Group | None) -> None:
    """Undo the Block at the account's inbox and announce it to group-aware members."""
    membership, account, actor = await _membership(event)
    if group is None or actor is None:
        return
    block = block_activity(fed, group, membership, actor.uri, None)
    block.pop("@context")
    undo = {"@context": AS_CONTEXT, "id": new_id(fed.urls, group, "undo"), "type": "Undo",
            "actor": fed.urls.group(group.slug), "object": block, **_addressing(fed, group, actor.uri)}
    await _send(fed, group, undo, [actor.inbox])
    await _announce_to_group_aware(fed, group, undo, "announce-undo", skip={actor.inbox})


async def on_post_removed(fed: Federation, event: Event, group: Group | None) -> None:
    """Retract a removed post: Undo of the boost for microblogs, Announce{Delete} for group-aware servers."""
    post = await event_post(event)
    if group is None or not post.announce_uri:
        return
    forms = await group_audience(fed, group)
    undo = activities.undo_announce(fed.urls, group, post)
    if post.via_id is not None:
        await _send(fed, group, undo, forms.everyone)
        return
    await _send(fed, group, undo, forms.get("object"))
    removal = {
        "@context": AS_CONTEXT, "id": new_id(fed.urls, group, "delete"), "type": "Delete",
        "actor": fed.urls.group(group.slug), "object": post.uri, **activities.addressing(fed.urls, group, post),
    }
    if event.payload.get("reason"):
        removal["summary"] = event.payload["reason"]
    await _send(fed, group, _announce(fed, group, removal, "announce-delete"), forms.get("activity"))


async def on_report_forwarded(fed: Federation, event: Event, group: Group | None) -> None:
    """A Flag from the instance actor to the reported account's server (as Mastodon forwards reports)."""
    report = await Report.get(id=event.payload["report_id"])
    actor = await RemoteActor.get_or_none(uri=report.target_uri or "")
    if actor is None:
        return
    flag_id = f"{fed.urls.instance_actor}/flags/{report.id}"
    flag = {
        "@context": AS_CONTEXT, "id": flag_id, "type": "Flag", "actor": fed.urls.instance_actor,
        "object": [actor.uri, *[u for u in report.object_uris if u != actor.uri]],
        "content": report.comment, "to": [actor.uri],
    }
    await enqueue(flag, actor_uri=fed.urls.instance_actor, inboxes=[actor.inbox])
    report.flag_uri = flag_id
    await report.save(update_fields=["flag_uri"])



async def _reported(fed: Federation, url: str) -> tuple[str, list[str]]:
    """(reported account, reported object ids) for a post or account URL, fetched from its own server."""
    stored = await Post.filter(uri=url).first()
    if stored is not None:
        return (await Account.get(id=stored.author_id)).uri, [url]
    try:
        document = await fetch_document(fed.client, url, sign=await fed.instance_auth(), local_host=fed.urls.host)
    except FetchError as exc:
        raise NotFound(f"could not fetch {url}: {exc.reason}") from None
    if type_of(document) in ACTOR_TYPES:
        return document["id"], []
    author = id_of(document.get("attributedTo"))
    if not author or not same_host(author, document["id"]):
        raise InvalidInput(f"{url} names no author on its own server")
    return author, [document["id"]]


async def send_report(fed: Federation, url: str, *, reason: str, by: Account | None = None,
                      group: Group | None = None) -> Report:
    """Report a remote post or account (its URL) to its own server: a Flag from the instance actor is queued.

    InvalidInput for something that is no http(s) URL, a URL on this hub or a post naming no author on its
    server; NotFound when it cannot be fetched; PermissionDenied unless ``by`` may (hub.services.moderation).
    """
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or " " in url:
        raise InvalidInput("give the address (URL) of the post or account to report")
    if fed.urls.is_local(url):
        raise InvalidInput("that is on this hub: remove the post or ban the member instead")
    target, objects = await _reported(fed, url)
    await fetch_actor(fed, target)
    return await moderation.forward_report(
        reporter_uri=fed.urls.instance_actor, target_uri=target, object_uris=objects, comment=reason or "",
        group=group, by=by,
    )


FEATURE = Feature(
    name="moderation",
    inbound={
        ("Flag", ANY): on_flag,
        ("Block", ANY): on_block,
        ("Undo", "Block"): on_undo_block,
        ("Add", ANY): on_collection_change,
        ("Remove", ANY): on_collection_change,
        ("Announce", "Delete"): on_announced_retraction,
        ("Announce", "Remove"): on_announced_retraction,
        ("Announce", "Undo"): on_announced_retraction,
        ("Announce", "Block"): on_announced_moderation,
        ("Announce", "Add"): on_announced_moderation,
        ("Undo", "Announce"): on_undo_announce,
    },
    outbound={
        "membership.role": on_role,
        "membership.banned": on_banned,
        "membership.unbanned": on_unbanned,
        "post.removed": on_post_removed,
        "report.forwarded": on_report_forwarded,
    },
)
"""Reports, bans, moderators, removals and retractions."""
