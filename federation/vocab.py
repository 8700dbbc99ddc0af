"""Reading ActivityStreams JSON defensively: ids, types, addressing and mentions out of untrusted dicts.

Every helper accepts whatever JSON a peer sent (strings, objects, lists, wrong types) and returns
plain values or None; none raises on odd input.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from federation.urls import PUBLIC_ALIASES

POST_TYPES = frozenset({"Note", "Page", "Article", "Question"})
MAX_TAGS = 200


def id_of(value: Any) -> str | None:
    """The id of a reference: a string, or an object's string ``id``."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"] or None
    return None


def type_of(value: Any) -> str | None:
    """An object's ``type`` (the first one when a list)."""
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), None)
    return kind if isinstance(kind, str) else None


def ids(value: Any, limit: int = 1000) -> list[str]:
    """The ids in a reference or a list of references (at most ``limit``)."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items[:limit]:
        found = id_of(item)
        if found:
            out.append(found)
    return out


def audience(activity: dict, obj: dict | None = None) -> list[str]:
    """Every id in to/cc/bto/bcc/audience of the activity and its object."""
    out: list[str] = []
    for doc in (activity, obj):
        if isinstance(doc, dict):
            for key in ("to", "cc", "bto", "bcc", "audience"):
                out.extend(ids(doc.get(key)))
    return out


def is_public(addresses: list[str]) -> bool:
    """Whether the addressing includes the Public collection."""
    return any(a in PUBLIC_ALIASES for a in addresses)


def mentions(obj: dict) -> Iterator[tuple[str | None, str | None]]:
    """(href, name) of each Mention tag of an object."""
    tags = obj.get("tag")
    items = tags if isinstance(tags, list) else [tags]
    for tag in items[:MAX_TAGS]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            href = tag.get("href") if isinstance(tag.get("href"), str) else None
            name = tag.get("name") if isinstance(tag.get("name"), str) else None
            yield href, name


def hashtags(obj: dict) -> list[str]:
    """Lower-case names (without '#') of an object's Hashtag tags."""
    tags = obj.get("tag")
    items = tags if isinstance(tags, list) else [tags]
    out = []
    for tag in items[:MAX_TAGS]:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            out.append(tag["name"].lstrip("#").lower())
    return out


def visibility(addresses_to: list[str], addresses_cc: list[str], followers_uri: str | None) -> str:
    """Mastodon's visibility from addressing: public, unlisted, members (followers-only) or direct."""
    if is_public(addresses_to):
        return "public"
    if is_public(addresses_cc):
        return "unlisted"
    every = addresses_to + addresses_cc
    if any(a == followers_uri or a.endswith("/followers") for a in every):
        return "members"
    return "direct"


def parse_time(value: Any) -> datetime | None:
    """An xsd:dateTime string as an aware UTC datetime, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def content_and_language(obj: dict) -> tuple[str, str | None]:
    """The HTML content and its language: ``content``, else the first ``contentMap`` entry."""
    content = obj.get("content") if isinstance(obj.get("content"), str) else None
    content_map = obj.get("contentMap")
    language = None
    if isinstance(content_map, dict):
        for lang, text in content_map.items():
            if isinstance(lang, str) and isinstance(text, str) and len(lang) <= 16:
                language = lang
                if content is None:
                    content = text
                break
    if content is None and isinstance(obj.get("source"), dict) and isinstance(obj["source"].get("content"), str):
        content = obj["source"]["content"]
    return content or "", language
