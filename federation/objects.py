"""Translating posted objects (Note, Page, Article, Question) into the domain's PostDraft."""

from __future__ import annotations

from federation.context import Federation
from federation.sanitize import plain_text, sanitize_html
from federation.vocab import content_and_language, id_of, ids, is_http_id, parse_time, type_of, visibility
from hub.clock import now
from hub.models import Group
from hub.services import posts


def _link(value: object) -> str | None:
    """The object's ``url`` when it is an http(s) link the pages may show (never javascript: or data:)."""
    for candidate in value if isinstance(value, list) else [value]:
        href = candidate.get("href") if isinstance(candidate, dict) and "href" in candidate else id_of(candidate)
        if is_http_id(href):
            return href
    return None


def draft_from(activity: dict, obj: dict, raw: str, group: Group, fed: Federation) -> posts.PostDraft:
    """The domain's view of a posted object: sanitised, typed, bounded."""
    content, language = content_and_language(obj, activity)
    to, cc = ids(obj.get("to")), ids(obj.get("cc"))
    return posts.PostDraft(
        uri=obj["id"],
        activity_uri=activity.get("id") if isinstance(activity.get("id"), str) else None,
        object_type=type_of(obj) or "Note",
        content_html=sanitize_html(content),
        visibility=visibility(to or ids(activity.get("to")), cc or ids(activity.get("cc")), fed.urls.group_followers(group.slug)),
        published_at=parse_time(obj.get("published")) or now(),
        activity_json=raw,
        url=_link(obj.get("url")),
        in_reply_to=id_of(obj.get("inReplyTo")),
        title=plain_text(obj["name"], max_length=500) if isinstance(obj.get("name"), str) else None,
        summary=plain_text(obj["summary"], max_length=500) if isinstance(obj.get("summary"), str) and obj.get("summary") else None,
        language=language,
    )
