"""Posts: members' posts to a group in (Create, Update, Delete), the group's announcements of them out.

Inbound: a post addressed to (or mentioning, or replying in) a local group is published or held
for each group whose member wrote it; the author's edits and deletions follow it. Hook points let
other features take part: ``reply`` (answers to the group's own objects) runs before a Create is
matched to groups, ``group_post`` after a member's post is stored, ``post_edit`` after an author's edit.

Outbound: a published post is announced to every member's server in the form that server shows
(``Announce`` of the object for microblogs, of the activity for group-aware servers, FEP-1b12);
edits and deletions follow; pins are ``Add``/``Remove`` to the featured collection; a refused post
gets a ``Reject`` at its author's inbox. Members-only posts are sent by federation.features.members_only,
which runs first on these events.
"""

from __future__ import annotations

import json

from federation import activities, ldsignatures
from federation.audience import group_audience
from federation.context import Federation
from federation.delivery import enqueue, enqueue_body
from federation.errors import OriginError
from federation.fetch import fetch_document, same_host
from federation.features.spaces import refusal, stored_tags
from federation.handling import ANY, Feature, Incoming, Outcome, done, event_post, ignored
from federation.hooks import GROUP_POST, POST_EDIT, REPLY
from federation.local_groups import local_group, local_group_account
from federation.objects import clean_object, draft_from
from federation.remote import account_for
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
from hub.errors import Conflict, NotFound, PermissionDenied
from hub.models import Account, Event, Group, Post, RemoteActor
from hub.services import collaborations, members, posts
from hub.services.posts import PostDraft


async def _send(fed: Federation, group: Group, activity: dict, inboxes: list[str]) -> None:
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


# --- inbound -------------------------------------------------------------------------------------


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
        group = await local_group(fed, url)
        if group is not None:
            found[group.id] = group
    reply_to = id_of(obj.get("inReplyTo"))
    if reply_to:
        for parent in await Post.filter(uri=reply_to, via_id=None).prefetch_related("group"):
            found[parent.group.id] = parent.group
    return list(found.values())


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
    answered = await REPLY.first(fed, item, obj)  # e.g. answers to the group's own calls and alerts
    if answered is not None:
        return answered
    groups = await target_groups(fed, item.activity, obj)
    if not groups:
        return ignored("not addressed to a local group")
    author = await account_for(fed, item.actor)
    raw = json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    results = []
    cleaned = None  # sanitised once per object, off the event loop, and only for a group that takes it
    for group in groups:
        code = await posts.refusal_code(group, author)
        if code is not None:
            await posts.refuse(group, author, activity_uri=item.activity["id"], reason=f"only members of {group.slug} can post to it",
                               code=code)
            results.append(f"{group.slug}: refused (only members of {group.slug} can post to it)")
            continue
        cleaned = cleaned or await clean_object(obj)
        draft = draft_from(item.activity, obj, raw, group, fed, cleaned)
        if draft.visibility == "direct":
            results.append(f"{group.slug}: direct message, not a post")
            continue
        try:
            published = await posts.submit(group, author, draft)
            results.append(f"{group.slug}: {published.post.state}")
            if published.created:
                results += [f"{group.slug}: {note}" for notes in await GROUP_POST.each(fed, group, published.post, obj) for note in notes]
        except PermissionDenied as exc:
            await posts.refuse(group, author, activity_uri=item.activity["id"], reason=str(exc), code=getattr(exc, "code", None))
            results.append(f"{group.slug}: refused ({exc})")
        except Conflict as exc:
            results.append(f"{group.slug}: {exc}")
    return done("; ".join(results))


async def on_update(fed: Federation, item: Incoming) -> Outcome:
    """An author's edit of a post the hub knows (then the ``post_edit`` hook: campaign entries and board
    items follow it, also for a post only gathered from a relay); other Updates (profiles) refresh the actor cache."""
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
        known = await account_for_existing(item.actor)  # a post gathered from a relay has a known author
        edited = await _followed_edit(fed, known, obj) if known is not None else []
        return done("; ".join(edited)) if edited else ignored("Update of a post this hub does not have")
    author = await account_for(fed, item.actor)
    verbatim = await _verbatim(fed, item)
    raw = verbatim or json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    draft = draft_from(item.activity, obj, raw, post.group, fed, await clean_object(obj))
    try:
        await posts.edit(author, draft, edited_at=parse_time(obj.get("updated")), forward=verbatim is not None)
    except (PermissionDenied, Conflict, NotFound) as exc:
        return ignored(str(exc))
    return done("; ".join(["post edited", *await _followed_edit(fed, author, obj)]))


async def _followed_edit(fed: Federation, author: Account, obj: dict) -> list[str]:
    """The ``post_edit`` hook's notes: what other features derived from the post now follows the edit."""
    return [note for notes in await POST_EDIT.each(fed, author, obj) for note in notes]


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
    verbatim = await _verbatim(fed, item) if await Post.filter(uri=target).exists() else None
    raw = verbatim or json.dumps(item.activity, separators=(",", ":"), ensure_ascii=False)
    try:
        rows = await posts.delete(account, target, activity_json=raw, forward=verbatim is not None)
    except PermissionDenied as exc:
        return ignored(str(exc))
    return done(f"post deleted in {len(rows)} group(s)" if rows else "tombstone recorded")


async def _verbatim(fed: Federation, item: Incoming) -> str | None:
    """The activity's bytes as received when members' servers can take them from the group unchanged (its
    author's Linked Data signature verifies, federation.ldsignatures); else None, and only group-aware servers
    hear of the change (in the group's Announce)."""
    if item.raw is None or not await ldsignatures.forwardable(fed, item.activity):
        return None
    return item.raw


async def account_for_existing(uri: str) -> Account | None:
    """The known account of an actor without fetching it (a deleted actor can no longer be fetched)."""
    return await Account.get_or_none(uri=uri)


# --- outbound ------------------------------------------------------------------------------------


async def _relay_to_local_members(fed: Federation, group: Group, post: Post) -> None:
    """Local groups that are members of ``group`` and relay it re-announce the post in-process."""
    source = await local_group_account(fed, group)
    hashtags, addressed = await stored_tags(fed, post)
    for follower in await collaborations.relaying_groups(source, hashtags=hashtags, addressed=addressed):
        if follower.id == group.id:
            continue
        author = await Account.get(id=post.author_id)
        if await refusal(fed, follower, source, author) is not None:
            continue
        draft = PostDraft(
            uri=post.uri, activity_uri=post.activity_uri, object_type=post.object_type, content_html=post.content_html,
            visibility=post.visibility, published_at=post.published_at, activity_json=post.activity_json, url=post.url,
            in_reply_to=post.in_reply_to, title=post.title, summary=post.summary, language=post.language,
        )
        await posts.relay(follower, source, author, draft)


async def on_post_published(fed: Federation, event: Event, group: Group) -> None:
    """Announce a post to every member's server, in the form that server shows; relayed posts skip their source."""
    post = await event_post(event)
    source = await RemoteActor.get_or_none(account_id=post.via_id) if post.via_id else None
    forms = await group_audience(fed, group, exclude_account_id=post.via_id)
    by_form = {"object": forms.get("object"), "activity": forms.get("activity")}
    if source is not None:
        by_form = {"object": sorted(set(forms.everyone) - {source.inbox, source.shared_inbox}), "activity": []}
    elif post.via_id is not None:
        by_form = {"object": forms.everyone, "activity": []}
    announce = activities.announce_object(fed.urls, group, post)
    await _send(fed, group, announce, by_form["object"])
    if by_form["activity"]:
        wrapped = activities.announce_activity(fed.urls, group, post, post.activity_json, "announce-create")
        await _send(fed, group, wrapped, by_form["activity"])
    post.announce_uri = announce["id"]
    await post.save(update_fields=["announce_uri"])
    if post.visibility in ("public", "unlisted"):
        await _relay_to_local_members(fed, group, post)


async def _forward(fed: Federation, group: Group, post: Post, event: Event, inboxes: list[str]) -> None:
    """Inbox forwarding (ActivityPub 7.1.2): the author's own activity, byte for byte, to members' servers that
    take it on the author's Linked Data signature (Mastodon); the author's own server already has it."""
    if not event.payload.get("forward") or not inboxes:
        return
    body = event.payload["activity_json"]
    author = await Account.get(id=post.author_id)
    await enqueue_body(body, activity_uri=json.loads(body)["id"], actor_uri=fed.urls.group(group.slug),
                       inboxes=[inbox for inbox in inboxes if not same_host(inbox, author.uri)])


async def on_post_updated(fed: Federation, event: Event, group: Group) -> None:
    """The author's Update: forwarded unchanged to microblogs when its LD signature lets them verify it,
    announced to group-aware servers (FEP-1b12)."""
    post = await event_post(event)
    activity_json = event.payload.get("activity_json")
    if not activity_json:
        return
    forms = await group_audience(fed, group)
    await _forward(fed, group, post, event, forms.get("object"))
    wrapped = activities.announce_activity(fed.urls, group, post, activity_json, "announce-update")
    await _send(fed, group, wrapped, forms.get("activity"))


async def on_post_gone(fed: Federation, event: Event, group: Group) -> None:
    """A post deleted or removed: group-aware servers get the Delete announced, microblogs an Undo of the boost
    and, when its LD signature lets them verify it, the author's Delete forwarded unchanged."""
    post = await event_post(event)
    if not post.announce_uri:
        return
    forms = await group_audience(fed, group)
    await _send(fed, group, activities.undo_announce(fed.urls, group, post), forms.get("object"))
    await _forward(fed, group, post, event, forms.get("object"))
    activity_json = event.payload.get("activity_json")
    if activity_json:
        wrapped = activities.announce_activity(fed.urls, group, post, activity_json, "announce-delete")
        await _send(fed, group, wrapped, forms.get("activity"))


async def on_post_refused(fed: Federation, event: Event, group: Group) -> None:
    """Tell the author's server the group will not announce the post."""
    actor = await RemoteActor.get_or_none(account_id=event.payload["author_id"])
    if actor is None:
        return
    activity = activities.reject_activity(
        fed.urls, group, activity_uri=event.payload["activity_uri"], author=actor.uri, reason=event.payload.get("reason", "")
    )
    await _send(fed, group, activity, [actor.inbox])


async def on_post_featured(fed: Federation, event: Event, group: Group) -> None:
    """Pinning is an Add (unpinning a Remove) of the post to the group's featured collection, sent to members."""
    post = await event_post(event)
    kind = "Add" if event.kind == "post.pinned" else "Remove"
    activity = activities.collection_change(fed.urls, group, kind, post.uri, fed.urls.group_featured(group.slug))
    forms = await group_audience(fed, group)
    await _send(fed, group, activity, forms.everyone)


FEATURE = Feature(
    name="posts",
    inbound={
        ("Create", ANY): on_create,
        ("Update", ANY): on_update,
        ("Delete", ANY): on_delete,
    },
    outbound={
        "post.published": on_post_published,
        "post.updated": on_post_updated,
        "post.deleted": on_post_gone,
        "post.refused": on_post_refused,
        "post.pinned": on_post_featured,
        "post.unpinned": on_post_featured,
    },
)
"""Posts on the wire: a held post is not sent until a moderator publishes it (its organisers are told:
``post.held`` is the organisers feature's)."""
