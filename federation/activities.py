"""Building the activities a group sends: Accept, Reject, Announce (both forms), Undo."""

from __future__ import annotations

import html
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from federation.actors import AS_CONTEXT
from federation.urls import AS_PUBLIC, Urls
from hub.models import Group, Post


def new_id(urls: Urls, group: Group, kind: str) -> str:
    """A fresh activity id under the group."""
    return urls.group_activity(group.slug, kind, uuid.uuid4().hex)


def follow_reply(urls: Urls, group: Group, kind: str, *, follow_uri: str | None, follower: str) -> dict[str, Any]:
    """Accept or Reject of a follower's Follow, embedding the Follow as Mastodon and Lemmy expect."""
    group_id = urls.group(group.slug)
    follow: dict[str, Any] = {"type": "Follow", "actor": follower, "object": group_id}
    if follow_uri:
        follow["id"] = follow_uri
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, kind.lower()),
        "type": kind,
        "actor": group_id,
        "to": [follower],
        "object": follow,
    }


def addressing(urls: Urls, group: Group, post: Post) -> dict[str, Any]:
    """to/cc/audience of what the group publishes about a post: public posts cc Public, members-only do not."""
    followers = urls.group_followers(group.slug)
    cc = [AS_PUBLIC] if post.visibility in ("public", "unlisted") else []
    return {"to": [followers], "cc": cc, "audience": urls.group(group.slug)}


def announce_object(urls: Urls, group: Group, post: Post) -> dict[str, Any]:
    """Announce of the post's id: the boost Mastodon and other microblogs can show."""
    return {
        "@context": AS_CONTEXT,
        "id": urls.group_activity(group.slug, "announce", str(post.id)),
        "type": "Announce",
        "actor": urls.group(group.slug),
        "object": post.uri,
        "published": post.published_at.isoformat().replace("+00:00", "Z"),
        **addressing(urls, group, post),
    }


def announce_activity(urls: Urls, group: Group, post: Post, activity_json: str, kind: str) -> dict[str, Any]:
    """FEP-1b12 Announce wrapping the member's activity unchanged (Lemmy, Mbin, Friendica, PieFed…)."""
    inner = json.loads(activity_json)
    inner.pop("@context", None)
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, kind),
        "type": "Announce",
        "actor": urls.group(group.slug),
        "object": inner,
        **addressing(urls, group, post),
    }


def undo_announce(urls: Urls, group: Group, post: Post) -> dict[str, Any]:
    """Undo of the group's object Announce: removes the boost from microblog timelines."""
    announce = announce_object(urls, group, post)
    announce.pop("@context", None)
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, "undo"),
        "type": "Undo",
        "actor": urls.group(group.slug),
        "object": announce,
        **addressing(urls, group, post),
    }


def direct_note(
    urls: Urls, sender_id: str, kind_root: str, *, to: str, handle: str | None, text: str, link: str | None,
    language: str | None = None,
) -> dict[str, Any]:
    """A direct message (Create of a Note addressed only to ``to``) with an optional link, readable everywhere;
    with ``language``, the content is also given as ``contentMap`` so the reader's server knows its language."""
    note_id = f"{kind_root}/notes/{uuid.uuid4().hex}"
    mention = f'<span class="h-card"><a class="u-url mention" href="{to}">@<span>{html.escape(handle or to)}</span></a></span> '
    body = html.escape(text)
    if link:
        body += f' <a href="{html.escape(link)}">{html.escape(link)}</a>'
    note = {
        "id": note_id,
        "type": "Note",
        "attributedTo": sender_id,
        "to": [to],
        "cc": [],
        "content": f"<p>{mention}{body}</p>",
        "tag": [{"type": "Mention", "href": to, "name": f"@{handle}" if handle else to}],
        "published": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    if language:
        note["contentMap"] = {language: note["content"]}
    return {
        "@context": AS_CONTEXT,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": sender_id,
        "to": [to],
        "object": note,
    }


def collection_change(urls: Urls, group: Group, kind: str, object_id: str, target: str) -> dict[str, Any]:
    """Add or Remove of ``object_id`` to/from one of the group's collections (featured, moderators)."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, kind.lower()),
        "type": kind,
        "actor": urls.group(group.slug),
        "object": object_id,
        "target": target,
        "to": [urls.group_followers(group.slug)],
        "cc": [AS_PUBLIC],
        "audience": urls.group(group.slug),
    }


def update_actor(urls: Urls, group: Group, document: dict[str, Any]) -> dict[str, Any]:
    """Update of the group's own actor document (profile, avatar, policies)."""
    inner = dict(document)
    inner.pop("@context", None)
    return {
        "@context": document.get("@context", AS_CONTEXT),
        "id": new_id(urls, group, "update"),
        "type": "Update",
        "actor": urls.group(group.slug),
        "object": inner,
        "to": [urls.group_followers(group.slug)],
        "cc": [AS_PUBLIC],
    }


def reject_activity(urls: Urls, group: Group, *, activity_uri: str, author: str, reason: str) -> dict[str, Any]:
    """Reject of a member's (or non-member's) activity the group will not announce."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(urls, group, "reject"),
        "type": "Reject",
        "actor": urls.group(group.slug),
        "to": [author],
        "object": activity_uri,
        "summary": reason,
    }
