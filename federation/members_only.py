"""Members-only posts on the wire: the group's own followers-only Note, sent only to members, served only to them.

A post with ``members`` visibility (every post of a private group, and followers-only posts made to
a public one) cannot reach Mastodon members as the group's boost: Mastodon boosts only public or
unlisted statuses (FEDERATION-NOTES). So the group publishes a Note of its own — id
``{group}/posts/{post_id}``, ``attributedTo`` the group, crediting the author with a link,
addressed to the group's followers collection and never to Public — as:

- ``Create{Note}`` to microblog members (the "object" Announce form), and
- ``Announce{Create{Note}}`` to group-aware members (FEP-1b12, the "activity" form),

delivered to members' **personal** inboxes. A server's shared inbox is used only when every
account of that server that ever asked to join is an accepted member, so the server cannot fan it
out to a removed, banned or pending account that it still believes follows the group. Servers
running software listed in ``HUB_REFUSE_LEAKY_SOFTWARE`` and blocked servers get nothing.

Edits go out as ``Update{Note}``, removals and deletions as ``Delete{Tombstone}``, to the same inboxes.

``GET {group}/posts/{post_id}`` (:func:`group_post`) serves the Note only to a signed request whose
signer is an accepted member, or is the server actor (type Application) of a server with an accepted
member. Unsigned requests get 401 whether or not the post exists; signed requests that may not read
it get 404, like a post that does not exist, so neither reveals that it does. Members-only posts are
never in the outbox, the featured collection, pages or feeds (those show public and unlisted posts only).
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation.activities import new_id
from federation.actors import AS_CONTEXT
from federation.context import Federation
from federation.delivery import enqueue
from federation.endpoints import ActivityResponse, error_response, fed_of
from federation.errors import BlockedError, FederationError
from federation.nodeinfo import announce_form
from federation.remote import lookup_key
from federation.signatures import inspect_request, verify_claim
from federation.urls import Urls
from hub.models import Account, Group, Membership, Post, RemoteActor

NOT_SAFE_FOR_SHARED = ("pending", "rejected", "removed", "banned", "gone")
"""Membership states of accounts a server may still count as followers: their server gets personal deliveries."""
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


async def private_inboxes(fed: Federation, group: Group) -> dict[str, list[str]]:
    """Inboxes of the group's accepted remote members by Announce form: personal ones unless a server is all members."""
    actors = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False
    ).prefetch_related("peer")
    unsafe_peers = set(await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state__in=list(NOT_SAFE_FOR_SHARED)
    ).values_list("peer_id", flat=True))
    leaky = set(fed.settings.refuse_leaky_software)
    by_peer: dict[int, list[RemoteActor]] = defaultdict(list)
    for actor in actors:
        if actor.peer.blocked or (actor.peer.software or "") in leaky:
            continue
        by_peer[actor.peer_id].append(actor)
    out: dict[str, set[str]] = defaultdict(set)
    for peer_id, members in by_peer.items():
        form = announce_form(members[0].peer.software)
        shared = {m.shared_inbox for m in members}
        if peer_id not in unsafe_peers and len(shared) == 1 and None not in shared:
            out[form].add(shared.pop())
        else:
            out[form].update(m.inbox for m in members)
    return {form: sorted(inboxes) for form, inboxes in out.items()}


async def _send(fed: Federation, group: Group, forms: dict[str, list[str]], activity: dict, *, announce_kind: str | None) -> None:
    """The activity to microblog inboxes; group-aware ones get it wrapped in an Announce when ``announce_kind``."""
    sender = fed.urls.group(group.slug)
    if forms.get("object"):
        await enqueue(activity, actor_uri=sender, inboxes=forms["object"])
    if forms.get("activity"):
        wrapped = _wrap(fed.urls, group, "Announce", new_id(fed.urls, group, announce_kind), activity) if announce_kind else activity
        await enqueue(wrapped, actor_uri=sender, inboxes=forms["activity"])


async def publish(fed: Federation, group: Group, post: Post) -> None:
    """Deliver the group's Note for a members-only post to its members; remembers the Create id on the post."""
    note = await group_note(fed.urls, group, post)
    create = _wrap(fed.urls, group, "Create", f"{note['id']}/activity", note)
    create["published"] = note["published"]
    await _send(fed, group, await private_inboxes(fed, group), create, announce_kind="announce-create")
    post.announce_uri = create["id"]
    await post.save(update_fields=["announce_uri"])


async def update(fed: Federation, group: Group, post: Post) -> None:
    """Deliver the edited Note (Update) to the members."""
    if not post.announce_uri:
        return
    note = await group_note(fed.urls, group, post)
    moment = post.edited_at or datetime.now(UTC)
    activity = _wrap(fed.urls, group, "Update", f"{note['id']}#updates/{int(moment.timestamp())}", note)
    await _send(fed, group, await private_inboxes(fed, group), activity, announce_kind="announce-update")


async def retract(fed: Federation, group: Group, post: Post) -> None:
    """Tell members' servers to drop the Note (Delete of it as a Tombstone)."""
    if not post.announce_uri:
        return
    ident = note_id(fed.urls, group, post)
    activity = _wrap(fed.urls, group, "Delete", new_id(fed.urls, group, "delete"), {"id": ident, "type": "Tombstone"})
    await _send(fed, group, await private_inboxes(fed, group), activity, announce_kind="announce-delete")


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
    fed = fed_of(request)
    query = request.url.query
    path = request.url.path + (f"?{query}" if query else "")
    if "signature" not in request.headers and "signature-input" not in request.headers:
        return error_response(401, "members-only: sign the request as a member or as a member's server")
    try:
        claim = inspect_request("GET", f"{fed.urls.base}{path}", path, request.headers, None, expected_host=fed.urls.host)
        key = await lookup_key(fed, claim.key_id)
        verify_claim(claim, key.public_key_pem)
    except BlockedError as exc:
        return error_response(403, exc.reason)
    except FederationError as exc:
        return error_response(401, f"members-only: {exc.reason}")
    return key.actor_uri


async def group_post(request: Request) -> Response:
    """GET /groups/{slug}/posts/{post_id}: the group's members-only Note, to members (and their servers) only."""
    signer = await _signer(request)
    if isinstance(signer, Response):
        return signer
    fed = fed_of(request)
    not_found = error_response(404, "no such post")
    group = await Group.get_or_none(slug=request.path_params["slug"], deleted_at__isnull=True)
    if group is None:
        return not_found
    post = await Post.get_or_none(id=request.path_params["post_id"], group=group, state="published", visibility="members")
    if post is None or not await may_read(fed, group, signer):
        return not_found
    return ActivityResponse(await group_note(fed.urls, group, post), headers={"Cache-Control": "private, no-store", "Vary": "Signature"})
