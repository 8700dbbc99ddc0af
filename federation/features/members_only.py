"""Members-only posts on the wire: the group's own followers-only Note, sent only to members, served only to them.

A post with ``members`` visibility (every post of a private group, and followers-only posts made to
a public one) cannot reach Mastodon members as the group's boost: Mastodon boosts only public or
unlisted statuses (FEDERATION-NOTES). So the group publishes a Note of its own — id
``{group}/posts/{post_id}``, ``attributedTo`` the group, crediting the author with a link,
addressed to the group's followers collection and never to Public — as:

- ``Create{Note}`` to microblog members (the "object" Announce form), and
- ``Announce{Create{Note}}`` to group-aware members (FEP-1b12, the "activity" form),

delivered as private content under the one audience policy (federation.audience): to members'
**personal** inboxes, a server's shared inbox only when every account of that server that ever asked
to join is an accepted member (so the server cannot fan it out to a removed, banned or pending account
it still believes follows the group); servers running software listed in ``HUB_REFUSE_LEAKY_SOFTWARE``
and blocked servers get nothing. This feature runs ``First`` on the post events and declines posts
that are not members-only.

Edits go out as ``Update{Note}``, removals and deletions as ``Delete{Tombstone}``, to the same inboxes.

``GET {group}/posts/{post_id}`` (:func:`group_post`) serves the Note only to a signed request whose
signer is an accepted member, or is the server actor (type Application) of a server with an accepted
member. Unsigned requests get 401 whether or not the post exists; signed requests that may not read
it get 404, like a post that does not exist, so neither reveals that it does. Members-only posts are
never in the outbox, the featured collection, pages or feeds (those show public and unlisted posts only).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation.activities import new_id
from federation.actors import AS_CONTEXT
from federation.audience import Audience, group_audience
from federation.context import Federation
from federation.delivery import enqueue
from federation.responses import ActivityResponse, error_response, fed_of
from federation.errors import BlockedError, FederationError
from federation.integrity import served_with_proof
from federation.fetch import host_of
from federation.handling import Feature, First, Outcome, done, event_post
from federation.nodeinfo import peer_software
from federation.post_media import post_media
from federation.signer import get_signer, is_signed
from federation.urls import Urls
from hub.models import Account, Event, Group, Membership, Post, RemoteActor
from hub.services import members

SERVER_ACTOR_TYPES = frozenset({"Application"})
"""Actor types that stand for a whole server (Mastodon's and Lemmy's instance actors) when fetching."""


def note_id(urls: Urls, group: Group, post: Post) -> str:
    """The id of the group's Note for a members-only post."""
    return f"{urls.group(group.slug)}/posts/{post.id}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def group_note(urls: Urls, group: Group, post: Post) -> dict[str, Any]:
    """The group's followers-only Note carrying a members-only post, crediting its author."""
    author = await Account.get(id=post.author_id)
    actor = await RemoteActor.get_or_none(account_id=author.id)
    profile = (actor.url if actor and actor.url else None) or author.uri
    label = f"@{author.handle}" if author.handle else (author.display_name or author.uri)
    name = author.display_name or (author.handle or "").split("@")[0] or label
    credit = (
        f'<p>{html.escape(name)} (<span class="h-card"><a href="{html.escape(profile)}" class="u-url mention">'
        f"{html.escape(label)}</a></span>) wrote:</p>"
    )
    title = f"<p><strong>{html.escape(post.title)}</strong></p>" if post.title else ""
    reply_to = post.in_reply_to
    if reply_to:
        parent = await Post.get_or_none(group=group, uri=reply_to, visibility="members")
        if parent is not None:
            reply_to = note_id(urls, group, parent)
    note: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": note_id(urls, group, post),
        "type": "Note",
        "attributedTo": urls.group(group.slug),
        "to": [urls.group_followers(group.slug)],
        "cc": [],
        "audience": urls.group(group.slug),
        "content": credit + title + post.content_html,
        "published": _iso(post.published_at),
        "inReplyTo": reply_to,
        "sensitive": bool(post.summary),
    }
    images = post_media(post).images
    if images:  # the post's pictures with their alt text, as Mastodon shows them
        note["attachment"] = [{"type": "Image", "mediaType": i["media_type"], "url": i["url"], "name": i["alt"]} for i in images]
    if post.summary:
        note["summary"] = post.summary
    if post.language:
        note["contentMap"] = {post.language: note["content"]}
    if post.edited_at:
        note["updated"] = _iso(post.edited_at)
    return note


def _wrap(urls: Urls, group: Group, kind: str, ident: str, obj: Any) -> dict[str, Any]:
    """An activity of the group addressed to its followers only."""
    inner = dict(obj) if isinstance(obj, dict) else obj
    if isinstance(inner, dict):
        inner.pop("@context", None)
    return {
        "@context": AS_CONTEXT,
        "id": ident,
        "type": kind,
        "actor": urls.group(group.slug),
        "to": [urls.group_followers(group.slug)],
        "cc": [],
        "object": inner,
    }


async def _send(fed: Federation, group: Group, forms: Audience, activity: dict, *, announce_kind: str | None) -> None:
    """The activity to microblog inboxes; group-aware ones get it wrapped in an Announce when ``announce_kind``."""
    sender = fed.urls.group(group.slug)
    if forms.get("object"):
        await enqueue(activity, actor_uri=sender, inboxes=forms.get("object"))
    if forms.get("activity"):
        wrapped = _wrap(fed.urls, group, "Announce", new_id(fed.urls, group, announce_kind), activity) if announce_kind else activity
        await enqueue(wrapped, actor_uri=sender, inboxes=forms.get("activity"))


async def publish(fed: Federation, group: Group, post: Post) -> None:
    """Deliver the group's Note for a members-only post to its members; remembers the Create id on the post."""
    note = await group_note(fed.urls, group, post)
    create = _wrap(fed.urls, group, "Create", f"{note['id']}/activity", note)
    create["published"] = note["published"]
    await _send(fed, group, await group_audience(fed, group, members_only=True), create, announce_kind="announce-create")
    post.announce_uri = create["id"]
    await post.save(update_fields=["announce_uri"])


async def update(fed: Federation, group: Group, post: Post) -> None:
    """Deliver the edited Note (Update) to the members."""
    if not post.announce_uri:
        return
    note = await group_note(fed.urls, group, post)
    moment = post.edited_at or datetime.now(UTC)
    activity = _wrap(fed.urls, group, "Update", f"{note['id']}#updates/{int(moment.timestamp())}", note)
    await _send(fed, group, await group_audience(fed, group, members_only=True), activity, announce_kind="announce-update")


async def retract(fed: Federation, group: Group, post: Post) -> None:
    """Tell members' servers to drop the Note (Delete of it as a Tombstone)."""
    if not post.announce_uri:
        return
    ident = note_id(fed.urls, group, post)
    activity = _wrap(fed.urls, group, "Delete", new_id(fed.urls, group, "delete"), {"id": ident, "type": "Tombstone"})
    await _send(fed, group, await group_audience(fed, group, members_only=True), activity, announce_kind="announce-delete")


# --- the post events, taken first when the post is members-only ----------------------------------


async def _members_post(event: Event, group: Group | None) -> Post | None:
    if group is None:
        return None
    post = await event_post(event)
    return post if post.visibility == "members" else None


async def on_published(fed: Federation, event: Event, group: Group | None) -> bool:
    """A members-only post published: the group's Note to its members (other posts: False, for the posts feature)."""
    post = await _members_post(event, group)
    if post is not None:
        await publish(fed, group, post)
    return post is not None


async def on_updated(fed: Federation, event: Event, group: Group | None) -> bool:
    """A members-only post edited: the Note's Update to its members."""
    post = await _members_post(event, group)
    if post is not None:
        await update(fed, group, post)
    return post is not None


async def on_gone(fed: Federation, event: Event, group: Group | None) -> bool:
    """A members-only post deleted or removed: the Note's Delete to its members."""
    post = await _members_post(event, group)
    if post is not None:
        await retract(fed, group, post)
    return post is not None


# --- follows from leaky software ----------------------------------------------------------------


async def refuse_leaky_follow(fed: Federation, group: Group, account: Account, *, follow_uri: str) -> Outcome | None:
    """Reject a follow of a closed group from software that would show members-only posts to everyone.

    Connected to the ``follow`` hook point (the Follow handler asks before joining); None lets the follow through. The software comes
    from the follower's NodeInfo (cached per peer); HUB_REFUSE_LEAKY_SOFTWARE lists the names.
    """
    if group.join_policy == "open" and group.visibility == "public":
        return None
    leaky = set(fed.settings.refuse_leaky_software)
    if not leaky:
        return None
    software = await peer_software(fed, host_of(account.uri))
    if software not in leaky:
        return None
    reason = f"{software} shows followers-only posts to everyone, so its accounts cannot join closed groups here"
    decision = await members.request_join(group, account, follow_uri=follow_uri)
    if decision.outcome == "pending":
        await members.reject(group, account, reason=reason)
    return done(f"join refused: {reason}")



# --- serving the Note ----------------------------------------------------------------------------


async def may_read(fed: Federation, group: Group, signer_uri: str) -> bool:
    """Whether the signer is an accepted member, or the server actor of a server with an accepted member."""
    actor = await RemoteActor.get_or_none(uri=signer_uri).prefetch_related("peer")
    if actor is None or actor.gone or actor.peer.blocked:
        return False
    if await Membership.filter(group=group, account_id=actor.account_id, state="accepted").exists():
        return True
    if actor.actor_type not in SERVER_ACTOR_TYPES or (actor.peer.software or "") in set(fed.settings.refuse_leaky_software):
        return False
    return await RemoteActor.filter(
        peer_id=actor.peer_id, gone=False, account__memberships__group=group, account__memberships__state="accepted"
    ).exists()


async def _signer(request: Request) -> str | Response:
    """The verified signer's actor id, or the 401/403 response for an unsigned or badly signed GET."""
    if not is_signed(request):
        return error_response(401, "members-only: sign the request as a member or as a member's server")
    try:
        return await get_signer(fed_of(request), request)
    except BlockedError as exc:
        return error_response(403, exc.reason)
    except FederationError as exc:
        return error_response(401, f"members-only: {exc.reason}")


async def group_post(request: Request) -> Response:
    """GET /groups/{slug}/posts/{post_id}: the group's members-only Note, to members (and their servers) only."""
    signer = await _signer(request)
    if isinstance(signer, Response):
        return signer
    fed = fed_of(request)
    not_found = error_response(404, "no such post")
    group = await Group.get_or_none(slug=request.path_params["slug"], deleted_at__isnull=True, suspended_at__isnull=True)
    if group is None:
        return not_found
    post = await Post.get_or_none(id=request.path_params["post_id"], group=group, state="published", visibility="members")
    if post is None or not await may_read(fed, group, signer):
        return not_found
    note = await served_with_proof(group, fed.urls.group(group.slug), await group_note(fed.urls, group, post))
    return ActivityResponse(note, headers={"Cache-Control": "private, no-store", "Vary": "Signature"})


FEATURE = Feature(
    name="members_only",
    outbound={
        "post.published": First(on_published),
        "post.updated": First(on_updated),
        "post.deleted": First(on_gone),
        "post.removed": First(on_gone),
    },
    hooks={"follow": refuse_leaky_follow},
)
"""Members-only posts as the group's own Note, and closed groups kept from leaky software."""
