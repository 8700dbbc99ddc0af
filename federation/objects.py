"""Translating posted objects (Note, Page, Article, Question) into the domain's PostDraft.

Remote text is sanitised once per object (:func:`clean_object`), off the event loop, in a worker
thread with a time budget: a post addressed to several groups is cleaned once, and markup that is
slow to parse never holds up the pages or the inbox (federation.sanitize refuses deep nesting
before parsing; the budget bounds the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from federation.context import Federation
from federation.sanitize import CLEAN_BUDGET, flatten, off_loop, plain_text, sanitize_html
from federation.vocab import content_and_language, id_of, ids, is_http_id, parse_time, type_of, visibility
from hub.clock import now
from hub.models import Group
from hub.services import posts

@dataclass(frozen=True)
class CleanText:
    """An object's remote text, sanitised: the HTML content, title, summary and content language."""

    content_html: str
    title: str | None
    summary: str | None
    language: str | None


def _link(value: object) -> str | None:
    """The object's ``url`` when it is an http(s) link the pages may show (never javascript: or data:)."""
    for candidate in value if isinstance(value, list) else [value]:
        href = candidate.get("href") if isinstance(candidate, dict) and "href" in candidate else id_of(candidate)
        if is_http_id(href):
            return href
    return None


def _clean_now(content: str, name: str | None, summary: str | None, language: str | None) -> CleanText:
    return CleanText(
        content_html=sanitize_html(content),
        title=plain_text(name, max_length=500) if name else None,
        summary=plain_text(summary, max_length=500) if summary else None,
        language=language,
    )


async def clean_object(obj: dict) -> CleanText:
    """Sanitise an object's content, name and summary once, in a worker thread with a time budget."""
    content, language = content_and_language(obj)
    name = obj["name"] if isinstance(obj.get("name"), str) else None
    summary = obj["summary"] if isinstance(obj.get("summary"), str) and obj.get("summary") else None
    try:
        return await off_loop(_clean_now, content, name, summary, language)
    except TimeoutError:
        return CleanText(flatten(content), flatten(name or "", 500, html_out=False) or None, flatten(summary or "", 500, html_out=False) or None, language)


def draft_from(activity: dict, obj: dict, raw: str, group: Group, fed: Federation, cleaned: CleanText) -> posts.PostDraft:
    """The domain's view of a posted object for ``group``: typed, bounded, with its text already ``cleaned``."""
    to, cc = ids(obj.get("to")), ids(obj.get("cc"))
    return posts.PostDraft(
        uri=obj["id"],
        activity_uri=activity.get("id") if isinstance(activity.get("id"), str) else None,
        object_type=type_of(obj) or "Note",
        content_html=cleaned.content_html,
        visibility=visibility(to or ids(activity.get("to")), cc or ids(activity.get("cc")), fed.urls.group_followers(group.slug)),
        published_at=parse_time(obj.get("published")) or now(),
        activity_json=raw,
        url=_link(obj.get("url")),
        in_reply_to=id_of(obj.get("inReplyTo")),
        title=cleaned.title,
        summary=cleaned.summary,
        language=cleaned.language or content_and_language(obj, activity)[1],
    )
