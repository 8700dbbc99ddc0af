"""From domain events to deliveries: what each event means on the wire, and to whom it goes.

Each handler builds the activities for one event and enqueues their deliveries in the same
transaction that marks the event done, so a crash never loses or duplicates a fan-out.
Members' servers get the Announce form they understand (see federation.nodeinfo.announce_form).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from tortoise.transactions import in_transaction

from federation import activities, actors, members_only
from federation.campaign_outbound import OUTBOUND_HANDLERS as CAMPAIGN_HANDLERS
from federation.collaboration import OUTBOUND_HANDLERS, local_group_account, local_group_of
from federation.moderation import OUTBOUND_HANDLERS as MODERATION_HANDLERS
from federation.context import Federation
from federation.delivery import enqueue
from federation.nodeinfo import announce_form
from hub.models import Account, Event, Group, Membership, Post, RemoteActor
from hub.services import collaborations, posts
from hub.services.posts import PostDraft
from hub.queue import finish

EventHandler = Callable[[Federation, Event, Group | None], Awaitable[None]]


async def _send(fed: Federation, group: Group, activity: dict, inboxes: list[str]) -> None:
    if inboxes:
        await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=inboxes)


async def member_inboxes(group: Group, *, exclude_account_id: int | None = None) -> dict[str, list[str]]:
    """Inboxes of the group's remote members, one per server (the shared inbox when there is one), by Announce form."""
    # Plain values, not models: a group of 10,000 members took 0.5 s to load as RemoteActor objects.
    rows = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False
    ).values_list("account_id", "shared_inbox", "inbox", "peer__software")
    by_form: dict[str, set[str]] = defaultdict(set)
    for account_id, shared_inbox, inbox, software in rows:
        if exclude_account_id is not None and account_id == exclude_account_id:
            continue
        by_form[announce_form(software)].add(shared_inbox or inbox)
    return {form: sorted(inboxes) for form, inboxes in by_form.items()}


async def _membership_actor(event: Event) -> tuple[Membership, RemoteActor | None]:
    membership = await Membership.get(id=event.payload["membership_id"]).prefetch_related("account")
    actor = await RemoteActor.get_or_none(account_id=membership.account_id)
    return membership, actor


async def on_membership_answer(fed: Federation, event: Event, group: Group) -> None:
    """Accept or Reject the member's Follow at their personal inbox."""
    membership, actor = await _membership_actor(event)
    if actor is None:
        follow_uri = event.payload.get("follow_uri") or membership.follow_uri
        if follow_uri and await local_group_of(fed, membership.account) is not None:
            await collaborations.follow_answered(follow_uri, await local_group_account(fed, group), accepted=event.kind == "membership.accepted")
        return
    kind = "Accept" if event.kind == "membership.accepted" else "Reject"
    follow_uri = event.payload.get("follow_uri") or membership.follow_uri
    if kind == "Reject" and not follow_uri:
        return
    activity = activities.follow_reply(fed.urls, group, kind, follow_uri=follow_uri, follower=actor.uri)
    await _send(fed, group, activity, [actor.inbox])


async def _post(event: Event) -> Post:
    return await Post.get(id=event.payload["post_id"])


async def _relay_to_local_members(fed: Federation, group: Group, post: Post) -> None:
    """Local groups that are members of ``group`` and relay it re-announce the post in-process."""
    source = await local_group_account(fed, group)
    for follower in await collaborations.relaying_groups(source):
        if follower.id == group.id:
            continue
        author = await Account.get(id=post.author_id)
        draft = PostDraft(
            uri=post.uri, activity_uri=post.activity_uri, object_type=post.object_type, content_html=post.content_html,
            visibility=post.visibility, published_at=post.published_at, activity_json=post.activity_json, url=post.url,
            in_reply_to=post.in_reply_to, title=post.title, summary=post.summary, language=post.language,
        )
        await posts.relay(follower, source, author, draft)


async def on_post_published(fed: Federation, event: Event, group: Group) -> None:
    """Announce a post to every member's server, in the form that server shows; relayed posts skip their source."""
    post = await _post(event)
    if post.visibility == "members":
        await members_only.publish(fed, group, post)
        return
    source = await RemoteActor.get_or_none(account_id=post.via_id) if post.via_id else None
    forms = await member_inboxes(group, exclude_account_id=post.via_id)
    if source is not None:
        skip = {source.inbox, source.shared_inbox}
        forms = {"object": sorted({i for inboxes in forms.values() for i in inboxes} - skip)}
    elif post.via_id is not None:
        forms = {"object": sorted({i for inboxes in forms.values() for i in inboxes})}
    announce = activities.announce_object(fed.urls, group, post)
    await _send(fed, group, announce, forms.get("object", []))
    if forms.get("activity"):
        wrapped = activities.announce_activity(fed.urls, group, post, post.activity_json, "announce-create")
        await _send(fed, group, wrapped, forms["activity"])
    post.announce_uri = announce["id"]
    await post.save(update_fields=["announce_uri"])
    if post.visibility in ("public", "unlisted"):
        await _relay_to_local_members(fed, group, post)


async def on_post_updated(fed: Federation, event: Event, group: Group) -> None:
    """Relay the author's Update to group-aware servers (microblogs take edits from the author)."""
    post = await _post(event)
    if post.visibility == "members":
        await members_only.update(fed, group, post)
        return
    activity_json = event.payload.get("activity_json")
    if not activity_json:
        return
    forms = await member_inboxes(group)
    wrapped = activities.announce_activity(fed.urls, group, post, activity_json, "announce-update")
    await _send(fed, group, wrapped, forms.get("activity", []))


async def on_post_gone(fed: Federation, event: Event, group: Group) -> None:
    """A post deleted or removed: group-aware servers get the Delete announced, microblogs an Undo of the boost."""
    post = await _post(event)
    if post.visibility == "members":
        await members_only.retract(fed, group, post)
        return
    if not post.announce_uri:
        return
    forms = await member_inboxes(group)
    await _send(fed, group, activities.undo_announce(fed.urls, group, post), forms.get("object", []))
    activity_json = event.payload.get("activity_json")
    if activity_json:
        wrapped = activities.announce_activity(fed.urls, group, post, activity_json, "announce-delete")
        await _send(fed, group, wrapped, forms.get("activity", []))


async def on_post_refused(fed: Federation, event: Event, group: Group) -> None:
    """Tell the author's server the group will not announce the post."""
    actor = await RemoteActor.get_or_none(account_id=event.payload["author_id"])
    if actor is None:
        return
    activity = activities.reject_activity(
        fed.urls, group, activity_uri=event.payload["activity_uri"], author=actor.uri, reason=event.payload.get("reason", "")
    )
    await _send(fed, group, activity, [actor.inbox])


async def on_notice(fed: Federation, event: Event, group: Group | None) -> None:
    """A direct message from a group (or the instance actor) to one remote account."""
    actor = await RemoteActor.get_or_none(account_id=event.payload["account_id"]).prefetch_related("account")
    if actor is None:
        return
    sender = fed.urls.group(group.slug) if group is not None else fed.urls.instance_actor
    note = activities.direct_note(
        fed.urls, sender, sender, to=actor.uri, handle=actor.account.handle,
        text=event.payload.get("text", ""), link=event.payload.get("link"), language=event.payload.get("language"),
    )
    await enqueue(note, actor_uri=sender, inboxes=[actor.inbox])


async def on_post_featured(fed: Federation, event: Event, group: Group) -> None:
    """Pinning is an Add (unpinning a Remove) of the post to the group's featured collection, sent to members."""
    post = await _post(event)
    kind = "Add" if event.kind == "post.pinned" else "Remove"
    activity = activities.collection_change(fed.urls, group, kind, post.uri, fed.urls.group_featured(group.slug))
    forms = await member_inboxes(group)
    await _send(fed, group, activity, sorted({i for inboxes in forms.values() for i in inboxes}))


async def on_group_updated(fed: Federation, event: Event, group: Group) -> None:
    """A changed profile goes out as an Update of the Group actor to every member's server."""
    activity = activities.update_actor(fed.urls, group, actors.group_actor(group, fed.urls))
    forms = await member_inboxes(group)
    await _send(fed, group, activity, sorted({i for inboxes in forms.values() for i in inboxes}))


EVENT_HANDLERS: dict[str, EventHandler] = {
    "post.pinned": on_post_featured,
    "post.unpinned": on_post_featured,
    "group.updated": on_group_updated,
    **OUTBOUND_HANDLERS,
    "notice.direct": on_notice,
    "membership.accepted": on_membership_answer,
    "membership.rejected": on_membership_answer,
    "membership.removed": on_membership_answer,
    "post.published": on_post_published,
    "post.updated": on_post_updated,
    "post.deleted": on_post_gone,
    "post.refused": on_post_refused,
    **MODERATION_HANDLERS,  # membership.role/banned/unbanned, post.removed, report.forwarded
    **CAMPAIGN_HANDLERS,  # calls, alerts, campaign notes, relay follows
}
"""Event kind -> handler. Kinds not listed have no federation side (group.created, membership.requested…)."""


async def handle_event(fed: Federation, event: Event) -> None:
    """Turn one claimed event into deliveries and mark it done, atomically."""
    handler = EVENT_HANDLERS.get(event.kind)
    group = await Group.get_or_none(id=event.group_id) if event.group_id else None
    async with in_transaction():
        if handler is not None:
            await handler(fed, event, group)
        await finish(event, "done", last_error=None if handler else "no federation side")
    fed.wake_worker()


