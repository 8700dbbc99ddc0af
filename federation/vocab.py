"""Reading ActivityStreams JSON defensively: ids, types, addressing and mentions out of untrusted dicts.

Every helper accepts whatever JSON a peer sent (strings, objects, lists, wrong types) and returns
plain values or None; none raises on odd input.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from federation.urls import PUBLIC_ALIASES

POST_TYPES = frozenset({"Note", "Page", "Article", "Question"})
MAX_TAGS = 200
MAX_MENTIONS = 50
"""A post mentioning more accounts than this (local and remote together) is mention spam."""
MAX_ID_LENGTH = 1024
"""Longest id (URL) the hub stores; the database columns are this wide."""
_UNSAFE_IN_ID = re.compile(r"[\x00-\x20\x7f]")
log = logging.getLogger("causeway.federation")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,3}")
_REFERENCE = (str, dict, list)
_POST_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "to": _REFERENCE,
    "cc": _REFERENCE,
    "bto": _REFERENCE,
    "bcc": _REFERENCE,
    "audience": _REFERENCE,
    "tag": _REFERENCE,
    "attachment": _REFERENCE,
    "content": (str,),
    "name": (str,),
    "summary": (str,),
    "contentMap": (dict,),
    "nameMap": (dict,),
    "summaryMap": (dict,),
    "published": (str,),
    "updated": (str,),
    "inReplyTo": (str, dict),
    "url": _REFERENCE,
}
"""The JSON types each field of a posted object may have (null is always allowed: "not set")."""


def is_http_id(value: Any) -> bool:
    """Whether ``value`` is an http(s) URL short enough to be stored as an id, without spaces or control characters."""
    return (
        isinstance(value, str)
        and value.startswith(("http://", "https://"))
        and len(value) <= MAX_ID_LENGTH
        and _UNSAFE_IN_ID.search(value) is None
    )


def id_of(value: Any) -> str | None:
    """The id of a reference: a string, or an object's string ``id``."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"] or None
    return None


def types_of(value: Any) -> tuple[str, ...]:
    """Every ``type`` of an object: JSON-LD allows a string or a list (non-strings in the list are skipped)."""
    if not isinstance(value, dict):
        return ()
    kind = value.get("type")
    if isinstance(kind, str):
        return (kind,)
    if isinstance(kind, list):
        return tuple(k for k in kind[:16] if isinstance(k, str))
    return ()


def type_of(value: Any) -> str | None:
    """An object's ``type`` (the first one when a list)."""
    kinds = types_of(value)
    return kinds[0] if kinds else None


def has_type(value: Any, names: frozenset[str] | set[str] | tuple[str, ...]) -> str | None:
    """The first of the object's types that is among ``names``, else None (for ``type`` written as a list)."""
    return next((kind for kind in types_of(value) if kind in names), None)


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
        if has_type(tag, ("Mention",)):
            href = tag.get("href") if isinstance(tag.get("href"), str) else None
            name = tag.get("name") if isinstance(tag.get("name"), str) else None
            yield href, name


def mention_count(obj: dict) -> int:
    """How many distinct accounts (href, else name) the object's Mention tags name, over every tag."""
    tags = obj.get("tag")
    named = set()
    for tag in tags if isinstance(tags, list) else [tags]:
        if has_type(tag, ("Mention",)):
            target = tag.get("href") if isinstance(tag.get("href"), str) else tag.get("name")
            named.add(target if isinstance(target, str) else id(tag))
    return len(named)


def malformed_field(obj: dict, activity: dict | None = None) -> str | None:
    """Why a posted object (and its activity's addressing) cannot be a post: a field of the wrong JSON type.

    Returns a reason naming the field, or None when every field has a type ActivityStreams allows.
    """
    for name, allowed in _POST_FIELD_TYPES.items():
        value = obj.get(name)
        if value is not None and (not isinstance(value, allowed) or isinstance(value, bool)):
            return f"the object's {name} has the wrong type ({type(value).__name__})"
    for name in ("contentMap", "nameMap", "summaryMap"):
        value = obj.get(name)
        if isinstance(value, dict) and not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return f"the object's {name} must map languages to strings"
    reply_to = obj.get("inReplyTo")
    if reply_to is not None and not is_http_id(id_of(reply_to)):
        return f"the object's inReplyTo is not an http(s) id of at most {MAX_ID_LENGTH} characters"
    for name in ("to", "cc", "audience"):
        value = activity.get(name) if isinstance(activity, dict) else None
        if value is not None and not isinstance(value, _REFERENCE):
            return f"the activity's {name} has the wrong type ({type(value).__name__})"
    return None


def hashtags(obj: dict) -> list[str]:
    """Lower-case names (without '#') of an object's Hashtag tags."""
    tags = obj.get("tag")
    items = tags if isinstance(tags, list) else [tags]
    out = []
    for tag in items[:MAX_TAGS]:
        if has_type(tag, ("Hashtag",)) and isinstance(tag.get("name"), str):
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
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # year 9999 with a negative offset is past datetime.max in UTC
        return None


def _tag(value: object, source: str) -> str | None:
    """A well-formed language tag, else None (a malformed one is logged and ignored)."""
    if not isinstance(value, str):
        return None
    if _LANGUAGE.fullmatch(value) and len(value) <= 16:
        return value
    log.info("language ignored code=%r source=%s", value[:40], source)
    return None


def context_language(document: dict) -> str | None:
    """The JSON-LD default language (``"@language"`` in the ``@context``), if the document declares one."""
    context = document.get("@context")
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict) and "@language" in item:
            return _tag(item["@language"], "@language")
    return None


def content_and_language(obj: dict, activity: dict | None = None) -> tuple[str, str | None]:
    """The HTML content and its language: ``content``, else the first ``contentMap`` entry; the language from
    the ``contentMap`` key, else the object's ``language``, else the ``@language`` of the object's or the
    activity's ``@context``. Malformed tags are ignored with a log line."""
    content = obj.get("content") if isinstance(obj.get("content"), str) else None
    content_map = obj.get("contentMap")
    language = None
    if isinstance(content_map, dict):
        for lang, text in content_map.items():
            if isinstance(lang, str) and isinstance(text, str):
                language = _tag(lang, "contentMap")
                if content is None:
                    content = text
                break
    if language is None:
        language = _tag(obj.get("language"), "language") or context_language(obj)
    if language is None and activity is not None:
        language = context_language(activity)
    if content is None and isinstance(obj.get("source"), dict) and isinstance(obj["source"].get("content"), str):
        content = obj["source"]["content"]
    return content or "", language
