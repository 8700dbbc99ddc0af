"""What a stored post carries besides its text: its images with their alt text and its hashtags, read from the
activity as received (``Post.activity_json``), so posts stored before this was shown get them too.

Used by the pages (images under a post, hashtags linked to the group's hashtag page) and by the
members-only Note (federation.features.members_only), which carries the images on to members.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from federation.campaign_objects import attachments_of
from federation.vocab import hashtags
from hub.models import Post

TAG_RE = re.compile(r"^[^\W_][\w]{0,63}$")
"""A hashtag the pages link: a word of letters, digits and underscores, at most 64 characters."""
MAX_TAGS_SHOWN = 10


@dataclass(frozen=True)
class PostMedia:
    """A post's images ([{url, media_type, alt}], http(s) only, at most four) and hashtags (lower case, without '#')."""

    images: list[dict[str, str]] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)


def _object(raw: str) -> dict | None:
    try:
        document = json.loads(raw or "{}")
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    inner = document.get("object")
    return inner if isinstance(inner, dict) else document


def post_media(post: Post) -> PostMedia:
    """The images and hashtags of a stored post (none when its activity cannot be read)."""
    obj = _object(post.activity_json)
    if not obj:
        return PostMedia()
    tags = [t for t in dict.fromkeys(hashtags(obj)) if TAG_RE.match(t)][:MAX_TAGS_SHOWN]
    return PostMedia(attachments_of(obj), tags)


_HASHTAG_LINK = re.compile(r'<a ([^>]*?)href="[^"]*"([^>]*\bclass="[^"]*\bhashtag\b[^"]*"[^>]*)>#(?:<span>)?([^<#\s]{1,64})(?:</span>)?</a>')


_ELEMENT = re.compile(r"(<[^>]*>)")
_OPAQUE = re.compile(r"<(/?)(a|code|pre)(?=[\s/>])", re.IGNORECASE)
"""An opening or closing tag of an element whose text is never linked: a link already, or code."""
_PLAIN_TAG = re.compile(r"(?:https?://|www\.)[^\s<]*|(?<![\w&/#])(?<!&amp;)(?<!&#38;)#([^\W_]\w{0,63})(?!\w)")
"""In text: a URL (left alone, '#' and all), or a hashtag standing as a word of its own (not ``foo#bar``, ``&#35;``, ``&amp;#``)."""


def _link_plain(content_html: str, tag_url: Callable[[str], str], tags: set[str]) -> str:
    """The hashtags written as plain text that are among ``tags``, linked; never inside ``<a>``, ``<code>`` or ``<pre>``."""

    def local(match: re.Match) -> str:
        word = match.group(1)
        if word is None or word.casefold() not in tags:
            return match.group(0)
        return (f'<a href="{html.escape(tag_url(word.casefold()))}" class="mention hashtag" rel="tag">'
                f"#<span>{html.escape(word)}</span></a>")

    parts = _ELEMENT.split(content_html)
    opaque = 0
    for i, part in enumerate(parts):
        if i % 2:  # an element's tag
            element = _OPAQUE.match(part)
            if element is not None:
                opaque = max(0, opaque - 1) if element.group(1) else opaque + (not part.endswith("/>"))
        elif not opaque and "#" in part:
            parts[i] = _PLAIN_TAG.sub(local, part)
    return "".join(parts)


def link_hashtags(content_html: str, tag_url: Callable[[str], str], tags: Iterable[str] = ()) -> str:
    """Sanitised post HTML whose hashtags lead to ``tag_url(tag)`` (the group's hashtag page): Mastodon's hashtag links
    (``class="… hashtag"``) instead of the author's server, and the post's own ``tags`` where the text names them as
    plain ``#Tag`` (as Lemmy and Pleroma write them), matched case-insensitively. Other links are left as they are."""
    if "#" not in content_html:
        return content_html

    def local(match: re.Match) -> str:
        tag = match.group(3).casefold()
        if not TAG_RE.match(tag):
            return match.group(0)
        return f'<a {match.group(1)}href="{html.escape(tag_url(tag))}"{match.group(2)}>#<span>{match.group(3)}</span></a>'

    if "hashtag" in content_html:
        content_html = _HASHTAG_LINK.sub(local, content_html)
    wanted = {t.casefold() for t in tags if TAG_RE.match(t.casefold())}
    return _link_plain(content_html, tag_url, wanted) if wanted else content_html


def hashtag_pattern(tag: str) -> str:
    """What a stored activity tagged ``#tag`` contains (its Hashtag's name as JSON), for hub.services.posts' lookup."""
    return json.dumps(f"#{tag}", ensure_ascii=False)
