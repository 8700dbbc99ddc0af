"""The group's own campaign objects on the wire, and images of posts.

What a group publishes for a campaign is its own object, with an id under the group
(``{group}/objects/{kind}/{id}``), attributed to the group and readable as an ordinary post on
Mastodon: a call is a ``Question`` with one option, "I'm in", and a text with what, where, when,
how many and a link; an alert is a ``Note``; a new campaign is a ``Note`` with its hashtags.
Images go as ``attachment: [{type: Image, mediaType, url, name: alt text}]``, which Mastodon shows.
"""

from __future__ import annotations

import gettext
import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation.actors import AS_CONTEXT
from federation.sanitize import flatten, off_loop, plain_text, prescan
from federation.urls import AS_PUBLIC, Urls
from federation.vocab import hashtags, is_http_id, type_of
from hub.models import Alert, CallToAction, Campaign, Group, MediaFile
from hub.services.calls import POLL_OPTION
from hub.services.campaigns import hashtags_in_text
from hub.timezones import format_moment

ENGLISH = gettext.NullTranslations()
"""The source language, for callers without the hub's catalogues."""

TEXT_SOURCE_CAP = 100_000
"""Characters of a post's HTML read for its text lines (the sanitiser's own cap)."""
_BREAKS = re.compile(r"(?i)<br\s*/?>|</p\s*>|</li\s*>")
OBJECT_KINDS = ("call", "alert", "campaign", "announcement")
MAX_ATTACHMENTS = 4
GROUP_OBJECT_KINDS = OBJECT_KINDS + ("decision", "library")
"""Every kind of the group's own objects: campaigns' here, decisions' and the library's (federation.features)."""
_OBJECT_PATH = re.compile(r"^/groups/([a-z0-9_]{1,64})/objects/([a-z]{1,32})/(\d{1,12})$")


@dataclass(frozen=True)
class LocalObject:
    """A reference to one of the group's own objects: ``{group}/objects/{kind}/{id}``."""

    slug: str
    kind: str
    id: int


def object_uri(urls: Urls, slug: str, kind: str, ident: int) -> str:
    """The id of a group's own object."""
    return f"{urls.group(slug)}/objects/{kind}/{ident}"


def local_object(urls: Urls, uri: str | None, kinds: tuple[str, ...] = GROUP_OBJECT_KINDS) -> LocalObject | None:
    """The group object ``uri`` names when it is one of ours of one of ``kinds``, else None (hosts compared after
    parsing). The gatherings feature asks for its own kinds (event, eventpoll)."""
    if not uri or not urls.is_local(uri):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    match = _OBJECT_PATH.match(parts.path)
    if match is None or parts.query or match.group(2) not in kinds:
        return None
    return LocalObject(match.group(1), match.group(2), int(match.group(3)))


def call_page(urls: Urls, slug: str, call_id: int) -> str:
    """The HTML page of a call."""
    return f"{urls.group(slug)}/calls/{call_id}"


def campaign_page(urls: Urls, slug: str, campaign_slug: str) -> str:
    """The HTML page of a campaign."""
    return f"{urls.group(slug)}/campaigns/{campaign_slug}"


def board_page(urls: Urls, slug: str) -> str:
    """The HTML page of a group's needs and offers."""
    return f"{urls.group(slug)}/board"


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(text or url)}</a>'


def image_attachment(urls: Urls, image: MediaFile | None) -> list[dict[str, Any]]:
    """The ``attachment`` list for an uploaded image (alt text as ``name``)."""
    if image is None:
        return []
    return [{
        "type": "Image", "mediaType": image.media_type, "url": f"{urls.base}/media/{image.name}", "name": image.alt,
        "width": image.width, "height": image.height,
    }]


def hashtag_tags(urls: Urls, group: Group, campaign: Campaign | None) -> list[dict[str, Any]]:
    """Hashtag tags of a campaign (href: the campaign page)."""
    if campaign is None:
        return []
    href = campaign_page(urls, group.slug, campaign.slug)
    return [{"type": "Hashtag", "href": href, "name": f"#{tag}"} for tag in campaign.hashtags or []]


def _tags_text(campaign: Campaign | None) -> str:
    if campaign is None or not campaign.hashtags:
        return ""
    return " " + " ".join(f"#{html.escape(t)}" for t in campaign.hashtags)


def public_addressing(urls: Urls, group: Group) -> dict[str, Any]:
    """Followers and Public (cc), the group as audience; members only (no Public) for private groups."""
    cc = [AS_PUBLIC] if group.visibility == "public" else []
    return {"to": [urls.group_followers(group.slug)], "cc": cc, "audience": urls.group(group.slug)}


def in_language(doc: dict[str, Any], language: str) -> dict[str, Any]:
    """``doc`` with its ``content`` also as ``contentMap`` in ``language`` (so readers' servers know it)."""
    doc["contentMap"] = {language: doc["content"]}
    return doc


def when_of(call: CallToAction, language: str, zone: str | None = None) -> str:
    """When a call is, for a reader of ``language``: its time in the reader's ``zone`` (else the call's), named,
    or the free text of calls written before calls had a time."""
    if call.starts_at is not None:
        return format_moment(call.starts_at, zone or call.time_zone, language)
    return call.when_text


def call_question(urls: Urls, group: Group, call: CallToAction, *, counted: int, campaign: Campaign | None,
                  image: MediaFile | None, translations: gettext.NullTranslations = ENGLISH) -> dict[str, Any]:
    """A call as the group's ``Question`` with the one option "I'm in" (votes = members signed up).

    The framing text is in the group's language (``translations``); a call with a real time gives it in the
    call's zone, named, and as ``startTime``.
    """
    t = translations
    uri = object_uri(urls, group.slug, "call", call.id)
    page = call_page(urls, group.slug, call.id)
    lines = [f"<strong>{html.escape(call.what)}</strong>"]
    if call.where_text:
        lines.append(html.escape(t.gettext("Where: %(where)s") % {"where": call.where_text}))
    when = when_of(call, group.language)
    if when:
        lines.append(html.escape(t.gettext("When: %(when)s") % {"when": when}))
    lines.append(html.escape(t.gettext("People needed: %(needed)d (%(count)d signed up)")
                             % {"needed": call.needed, "count": counted}))
    if call.details:
        lines.append(html.escape(call.details))
    if call.state == "open":
        answer = t.gettext("Vote “I’m in” in the poll, or reply “I’m in”.")
    else:
        answer = t.gettext("This call is closed.")
    content = "<p>" + "<br>".join(lines) + "</p><p>" + html.escape(answer) + " " + _link(page) + _tags_text(campaign) + "</p>"
    doc: dict[str, Any] = {
        "id": uri,
        "type": "Question",
        "attributedTo": urls.group(group.slug),
        "content": content,
        "contentMap": {group.language: content},
        "url": page,
        "published": _time(call.created_at),
        "oneOf": [{"type": "Note", "name": POLL_OPTION, "replies": {"type": "Collection", "totalItems": counted}}],
        "votersCount": counted,
        "attachment": image_attachment(urls, image),
        "tag": hashtag_tags(urls, group, campaign),
        "sensitive": False,
        **public_addressing(urls, group),
    }
    if call.starts_at is not None:
        doc["startTime"] = _time(call.starts_at)
    if call.state == "closed":
        doc["closed"] = _time(call.closed_at)
        doc["endTime"] = _time(call.closed_at)
    return doc


def alert_note(urls: Urls, group: Group, alert: Alert, *, campaign: Campaign | None, image: MediaFile | None,
               translations: gettext.NullTranslations = ENGLISH) -> dict[str, Any]:
    """An alert as the group's public ``Note`` (the text, the campaign's hashtags and a link), framed in the group's language."""
    uri = object_uri(urls, group.slug, "alert", alert.id)
    page = campaign_page(urls, group.slug, campaign.slug) if campaign else urls.group(group.slug)
    urgent = translations.gettext("Urgent:")
    content = (f"<p><strong>{html.escape(urgent)}</strong> {html.escape(alert.text)}</p>"
               f"<p>{_link(page)}{_tags_text(campaign)}</p>")
    return {
        "id": uri, "type": "Note", "attributedTo": urls.group(group.slug), "content": content,
        "contentMap": {group.language: content}, "url": page,
        "published": _time(alert.created_at), "attachment": image_attachment(urls, image),
        "tag": hashtag_tags(urls, group, campaign), "sensitive": False, **public_addressing(urls, group),
    }


def campaign_note(urls: Urls, group: Group, campaign: Campaign, *,
                  translations: gettext.NullTranslations = ENGLISH) -> dict[str, Any]:
    """A new campaign announced as the group's public ``Note``, framed in the group's language."""
    uri = object_uri(urls, group.slug, "campaign", campaign.id)
    page = campaign_page(urls, group.slug, campaign.slug)
    goal = f"<br>{html.escape(campaign.goal)}" if campaign.goal else ""
    tags = " ".join(f"#{html.escape(t)}" for t in campaign.hashtags or [])
    heading = translations.gettext("New campaign:")
    invitation = translations.gettext("Post with %(tags)s to take part.") % {"tags": tags}
    content = (f"<p>{html.escape(heading)} <strong>{html.escape(campaign.name)}</strong>{goal}</p>"
               f"<p>{html.escape(invitation)} {_link(page)}</p>")
    return {
        "id": uri, "type": "Note", "attributedTo": urls.group(group.slug), "content": content,
        "contentMap": {group.language: content}, "url": page,
        "published": _time(campaign.created_at), "tag": hashtag_tags(urls, group, campaign), "sensitive": False,
        **public_addressing(urls, group),
    }


def create_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``Create`` of a group's own object, addressed like the object."""
    return {
        "@context": AS_CONTEXT, "id": f"{obj['id']}/activity", "type": "Create", "actor": obj["attributedTo"],
        "published": obj.get("published"), "to": obj.get("to", []), "cc": obj.get("cc", []), "object": obj,
    }


def update_of(obj: dict[str, Any]) -> dict[str, Any]:
    """An ``Update`` of a group's own object (a fresh id each time)."""
    return {
        "@context": AS_CONTEXT, "id": f"{obj['id']}#updates/{uuid.uuid4().hex}", "type": "Update",
        "actor": obj["attributedTo"], "to": obj.get("to", []), "cc": obj.get("cc", []), "object": obj,
    }


def with_context(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a standalone document (served at its id)."""
    return {"@context": AS_CONTEXT, **obj}


def attachments_of(obj: dict) -> list[dict[str, str]]:
    """Images attached to a remote post: [{url, media_type, alt}] (http(s) only, at most four)."""
    raw = obj.get("attachment")
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items[:20]:
        if not isinstance(item, dict) or type_of(item) not in ("Image", "Document"):
            continue
        url = item.get("url")
        if isinstance(url, list):
            url = next((u.get("href") if isinstance(u, dict) else u for u in url if u), None)
        elif isinstance(url, dict):
            url = url.get("href")
        media_type = item.get("mediaType") if isinstance(item.get("mediaType"), str) else ""
        if not is_http_id(url) or not (media_type.startswith("image/") or (not media_type and type_of(item) == "Image")):
            continue
        alt = plain_text(item["name"], max_length=1500) if isinstance(item.get("name"), str) else ""
        out.append({"url": url, "media_type": media_type[:64] or "image/*", "alt": alt})
        if len(out) == MAX_ATTACHMENTS:
            break
    return out


def text_lines(content_html: str) -> str:
    """The text of remote HTML with its line breaks kept (one line per paragraph or ``<br>``).

    Markup the pre-scan refuses (too deep, too many tags) is flattened to one line without parsing.
    """
    content_html = (content_html or "")[:TEXT_SOURCE_CAP]
    if not prescan(content_html).acceptable:
        return flatten(content_html, 5000, html_out=False)
    return "\n".join(line for line in (plain_text(part, max_length=5000) for part in _BREAKS.split(content_html or "")) if line)


async def text_lines_off_loop(content_html: str) -> str:
    """:func:`text_lines` in a worker thread (never on the event loop); flattened text past the time budget."""
    try:
        return await off_loop(text_lines, content_html)
    except TimeoutError:
        return flatten(content_html, 5000, html_out=False)


def post_hashtags(obj: dict, text: str) -> list[str]:
    """Hashtags of a post: its Hashtag tags and any ``#word`` written in its text."""
    return list(dict.fromkeys(hashtags(obj) + hashtags_in_text(text)))
