"""Posts in groups: publishing (or holding) members' posts, edits, deletions and removals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from hub import rows
from hub.clock import now
from hub.errors import Conflict, NotFound, PermissionDenied, Refused
from hub.lifecycle import POST
from hub.models import Account, Group, Membership, Post, Tombstone
from hub.services import blocks, events, moderation_log, refusals
from hub.services.members import MODERATOR_ROLES, require_role

VISIBILITIES = ("public", "unlisted", "members", "direct")
SEARCH_WINDOW = 5000
"""Posts a text search (a group's search box, its hashtag pages) looks through, newest first."""


@dataclass(frozen=True)
class PostDraft:
    """A post as the federation layer understood it, in plain values."""

    uri: str
    activity_uri: str | None
    object_type: str
    content_html: str
    visibility: str
    published_at: datetime
    activity_json: str
    url: str | None = None
    in_reply_to: str | None = None
    title: str | None = None
    summary: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Published:
    """The outcome of submitting a post: the row and whether it was new."""

    post: Post
    created: bool


async def is_tombstoned(uri: str, *, by: str | None = None) -> bool:
    """Whether this object id was deleted before (by the actor ``by``, when given).

    A Delete may arrive before its Create; only the author's own tombstone blocks the late Create,
    so another actor cannot "delete" someone's next post id in advance.
    """
    query = Tombstone.filter(uri=uri)
    if by is not None:
        query = query.filter(actor_uri=by)
    return await query.exists()


async def _thread_uri(group: Group, in_reply_to: str | None, own_uri: str) -> str:
    if not in_reply_to:
        return own_uri
    parent = await Post.get_or_none(uri=in_reply_to, group=group)
    return parent.thread_uri if parent is not None else in_reply_to


async def _store(group: Group, author: Account, draft: PostDraft, *, state: str, visibility: str, via: Account | None = None) -> Post:
    """Insert the post row for a draft (inside the caller's transaction)."""
    return await Post.create(
        group=group,
        author=author,
        via=via,
        uri=draft.uri,
        activity_uri=draft.activity_uri,
        url=draft.url,
        object_type=draft.object_type,
        in_reply_to=draft.in_reply_to,
        thread_uri=await _thread_uri(group, draft.in_reply_to, draft.uri),
        title=draft.title,
        content_html=draft.content_html,
        summary=draft.summary,
        language=draft.language,
        visibility=visibility,
        state=state,
        published_at=draft.published_at,
        activity_json=draft.activity_json,
    )


async def submit(group: Group, author: Account, draft: PostDraft) -> Published:
    """Store a member's post; published (to be announced) or held, per the group's posting mode.

    Raises PermissionDenied for non-members (and non-moderators in moderators-only groups) and
    Conflict when the object was deleted before (Delete arrived before its Create).
    """
    existing = await Post.get_or_none(uri=draft.uri, group=group)
    if existing is not None:
        return Published(existing, False)
    if await is_tombstoned(draft.uri, by=author.uri):
        raise Conflict("this post was deleted before it arrived")
    membership = await Membership.get_or_none(group=group, account=author)
    if membership is None or membership.state != "accepted":
        raise Refused(_not_member_reason(group, membership), f"only members of {group.slug} can post to it")
    if await blocks.group_blocked(group, author.uri):
        raise PermissionDenied(f"{group.slug} does not take posts from this domain")
    if group.posting_mode == "moderators" and membership.role not in MODERATOR_ROLES:
        raise Refused("moderators_only", f"only moderators can post to {group.slug}")
    state = "published"
    if group.posting_mode == "held_first" and membership.role not in MODERATOR_ROLES:
        has_published = await Post.filter(group=group, author=author, state="published").exists()
        state = "published" if has_published else "held"
    visibility = draft.visibility if draft.visibility in VISIBILITIES else "public"
    if group.visibility == "private" and visibility in ("public", "unlisted"):
        visibility = "members"
    async with in_transaction():
        post = await _store(group, author, draft, state=state, visibility=visibility)
        await events.record(f"post.{state}", group, post_id=post.id)
        if state == "held":
            await refusals.explain(group, author, "held")
    return Published(post, True)


async def refusal_code(group: Group, author: Account) -> str | None:
    """None for an accepted member; else why their post is refused (a code of refusals.REASONS, told to them)."""
    membership = await Membership.get_or_none(group=group, account=author)
    if membership is not None and membership.state == "accepted":
        return None
    return _not_member_reason(group, membership)


def _not_member_reason(group: Group, membership: Membership | None) -> str:
    """Why a post by someone who is not an accepted member is refused (a code of refusals.REASONS)."""
    state = membership.state if membership is not None else None
    if state in ("banned", "pending"):
        return state
    return "members_only" if group.visibility == "private" else "not_member"


async def edit(author: Account, draft: PostDraft, *, edited_at: datetime | None = None, forward: bool = False) -> list[Post]:
    """Apply the author's Update in every group that has the post; only the author may edit.

    ``forward``: ``draft.activity_json`` is the author's activity as received and may be passed on to
    members' servers unchanged (the author's own signature travels with it).
    """
    rows = await Post.filter(uri=draft.uri).prefetch_related("group")
    if not rows:
        raise NotFound("no such post here")
    if any(post.author_id != author.id for post in rows):
        raise PermissionDenied("only the author may edit a post")
    if all(post.state == "deleted" for post in rows):
        raise Conflict("the post was deleted")
    async with in_transaction():
        for post in rows:
            post.content_html = draft.content_html
            post.title = draft.title
            post.summary = draft.summary
            post.language = draft.language or post.language
            post.edited_at = edited_at or now()
            await post.save()
            if post.state == "published" and post.via_id is None:
                await events.record("post.updated", post.group, post_id=post.id, activity_json=draft.activity_json,
                                    forward=forward)
    return rows


async def delete(actor: Account, uri: str, *, activity_json: str | None = None, forward: bool = False) -> list[Post]:
    """The owner deleted the object: tombstone it; every copy loses its content and is announced deleted.

    ``forward``: as for :func:`edit`, ``activity_json`` may be passed on to members' servers unchanged.
    """
    rows = await Post.filter(uri=uri).prefetch_related("group")
    if any(post.author_id != actor.id for post in rows):
        raise PermissionDenied("only the author may delete a post")
    async with in_transaction():
        await Tombstone.get_or_create(uri=uri, defaults={"actor_uri": actor.uri})
        for post in rows:
            if post.state == "deleted":
                continue
            was_public = post.state == "published"
            POST.check(post.state, "deleted")
            post.state = "deleted"
            post.content_html = ""
            post.title = None
            post.summary = None
            await post.save()
            if was_public:
                await events.record("post.deleted", post.group, post_id=post.id, activity_json=activity_json,
                                    forward=forward)
    return rows


async def relay(group: Group, source: Account, author: Account, draft: PostDraft) -> Published | None:
    """Re-announce a post that a followed group (or a collaboration) announced; once per group, never a deleted one."""
    if await Post.filter(group=group, uri=draft.uri).exists() or await is_tombstoned(draft.uri, by=author.uri):
        return None
    if await blocks.group_blocked(group, author.uri):
        return None
    async with in_transaction():
        visibility = "public" if draft.visibility == "public" else "unlisted"
        post = await _store(group, author, draft, state="published", visibility=visibility, via=source)
        await events.record("post.published", group, post_id=post.id, via=source.uri)
    return Published(post, True)


async def refuse(group: Group, author: Account, *, activity_uri: str, reason: str, code: str | None = None) -> None:
    """Record that a post sent to the group was refused, so the author's server is told (Reject).

    With ``code`` (a Refused error's), the author also gets a direct message saying why, once a day at most.
    """
    async with in_transaction():
        await events.record("post.refused", group, author_id=author.id, activity_uri=activity_uri, reason=reason)
        if code is not None:
            await refusals.explain(group, author, code)


MODERATION_LOG_ACTIONS = {("held", "published"): "approve_post", ("removed", "published"): "restore_post"}


async def moderate(post: Post, target: str, *, by: Account | None, reason: str | None = None) -> Post:
    """Moderators publish a held post, remove a published (or held) one, or restore a removed one; logged."""
    group = await Group.get(id=post.group_id)
    await require_role(group, by, MODERATOR_ROLES)
    async with in_transaction():
        previous = post.state
        POST.check(previous, target)
        post.state = target
        await post.save(update_fields=["state"])
        await events.record(f"post.{target}", group, post_id=post.id, reason=reason, by=by.uri if by else None)
        action = MODERATION_LOG_ACTIONS.get((previous, target), "remove_post" if target == "removed" else f"post_{target}")
        await moderation_log.record(action, post.uri, group=group, by=by, reason=reason)
    return post


async def published_with_group(post_id: int) -> Post | None:
    """The published post ``post_id`` with its group loaded, or None: what a thread page starts from, on every
    view (one hand-written statement, hub.rows)."""
    found = await rows.select(_published_with_group(), [post_id])
    if not found:
        return None
    post = rows.build(Post, found[0], "p")
    rows.attach(post, "group", rows.build(Group, found[0], "g"))
    return post


@rows.statement
def _published_with_group() -> str:
    return (f"SELECT {rows.columns(Post, 'p')}, {rows.columns(Group, 'g')} FROM posts p JOIN groups g ON g.id = p.group_id "
            "WHERE p.id = ? AND p.state = 'published'")


async def recent_posts(
    group: Group, *, limit: int = 20, before_id: int | None = None, public_only: bool = True, text: str | None = None,
    stored_text: str | None = None,
) -> list[Post]:
    """Published posts of a group, newest first, keyset-paged by id (``before_id``: older than that post); ``text``
    keeps those whose content or title contains it (case-insensitive), ``stored_text`` those whose activity as
    received contains it (the federation layer's hashtag lookup), both among the :data:`SEARCH_WINDOW` newest
    posts (before ``before_id``). Authors come with their remote actor (avatars)."""
    query = Post.filter(group=group, state="published")
    if public_only:
        query = query.filter(visibility__in=["public", "unlisted"])
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    if text or stored_text:
        # A text search reads rows, not an index: it looks at the newest SEARCH_WINDOW posts only, so a visitor's
        # query costs the same at a million posts as at ten thousand.
        oldest = await query.order_by("-id").offset(SEARCH_WINDOW - 1).first().values_list("id", flat=True)
        if oldest is not None:
            query = query.filter(id__gte=oldest)
    if text:
        query = query.filter(Q(content_html__icontains=text) | Q(title__icontains=text))
    if stored_text:
        query = query.filter(activity_json__icontains=stored_text)
    return await query.order_by("-id").limit(limit).prefetch_related("author__remote", "via")

