"""HTML sanitising for federated and local text.

Remote HTML (``content``, ``summary``, ``contentMap`` values, actor bios) goes through
:func:`sanitize_html`, built on nh3 (Python bindings to the Rust ``ammonia`` sanitizer, which
parses with html5ever exactly as a browser would).  The allowlist is modelled on Mastodon's
strict sanitizer configuration (``lib/sanitize_ext/sanitize_config.rb``):

* elements ``p br span a del s pre blockquote code b strong u i em ul ol li ruby rt rp``;
  ``h1``-``h6`` become ``<p><strong>…</strong></p>`` as Mastodon does;
* attributes ``a[href class]``, ``span[class]``, ``ol[start reversed]``, ``li[value]``;
  ``class`` keeps only microformat (``h-* p-* u-* dt-* e-*``) and ``mention hashtag ellipsis
  invisible`` tokens; numbers must be integers;
* ``href`` must be absolute with one of Mastodon's link protocols (plus ``mailto``); a link whose
  ``href`` is missing, relative or refused is unwrapped to its text, as Mastodon does;
* every link gets ``rel="nofollow noopener noreferrer"``; incoming ``rel``/``target`` are dropped;
* anything else is removed; ``script style svg math iframe …`` are removed with their contents.

Not carried over from Mastodon: ``lang``/``translate``/``p[class]`` attributes and the FEP-dc88
``<math>`` annotation fallback (math is dropped).  The result is a fixed point: sanitising it again
returns it unchanged.  :func:`plain_text` turns remote HTML into display text for names and titles;
:func:`render_local_text` renders Markdown written on this hub and sanitises the result.
"""

from __future__ import annotations

import asyncio
import html as _html
import re
from collections.abc import Callable
from typing import TypeVar
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

__all__ = ["MAX_ELEMENTS", "MAX_NESTING", "CLEAN_BUDGET", "Shape", "flatten", "off_loop", "plain_text", "prescan", "render_local_text", "sanitize_html"]

LINK_PROTOCOLS = frozenset(
    {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini", "mailto"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ELEMENTS = frozenset(
    {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
     "ul", "ol", "li", "ruby", "rt", "rp"}
) | _HEADINGS
_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}, "ol": {"start", "reversed"}, "li": {"value"}}
# Removed together with everything inside them (the Sanitize gem's remove_contents list and more).
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet",
     "noscript", "noembed", "noframes", "template", "xmp", "plaintext", "textarea", "title", "select"}
)
_LINK_REL = "nofollow noopener noreferrer"
_CLASS_TOKEN = re.compile(r"(?:(?:h|p|u|dt|e)-[A-Za-z0-9_-]+|mention|hashtag|ellipsis|invisible)")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# nh3 output escapes "<" in text and "<", ">", '"' in attribute values, so every "<" opens a tag.
_TAG = re.compile(r'<(/?)([a-z0-9]+)((?:\s+[a-z-]+="[^"]*")*)\s*/?>')
_PLAIN_BREAKS = frozenset({"p", "br", "div", "li", "tr", "td", "th", "blockquote", "pre"}) | _HEADINGS
_PLAIN_INPUT_CAP = 100_000
_MAX_PASSES = 4
T = TypeVar("T")
CLEAN_BUDGET = 2.0
"""Seconds the sanitiser may spend on one object in its worker thread; past it the caller flattens the text instead."""
MAX_NESTING = 64
"""Deepest element nesting handed to nh3; deeper markup is flattened to text (nh3's cost grows with depth squared)."""
MAX_ELEMENTS = 10_000
"""Most tags handed to nh3 in one text; more is flattened to text."""
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>?")
_TAG_LIKE = re.compile(r"<[^<>]*>?")  # linear: never scans past the next "<"
# Elements that never nest (void) or whose open tag closes the previous one: they add no depth.
_NO_DEPTH = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
     "p", "li", "dt", "dd", "option", "tr", "td", "th", "rt", "rp"}
)


@dataclass(frozen=True)
class Shape:
    """What a linear pre-scan of HTML found: tags, the deepest nesting, and whether nh3 may have it."""

    elements: int
    depth: int

    @property
    def acceptable(self) -> bool:
        """Within :data:`MAX_NESTING` and :data:`MAX_ELEMENTS`: cheap enough to sanitise."""
        return self.depth <= MAX_NESTING and self.elements <= MAX_ELEMENTS


def prescan(html: str) -> Shape:
    """Count tags and the deepest nesting of ``html`` in one linear pass, without parsing it.

    Conservative: unclosed tags count as open (except void and self-closing-by-sibling elements), so
    real nesting is never deeper than reported. Stops counting once both limits are exceeded.
    """
    elements = depth = deepest = 0
    for match in _ANY_TAG.finditer(html):
        name = match.group(2)
        elements += 1
        if name.lower() in _NO_DEPTH:
            pass
        elif match.group(1):
            depth = max(0, depth - 1)
        elif not match.group(0).endswith("/>"):
            depth += 1
            deepest = max(deepest, depth)
        if elements > MAX_ELEMENTS and deepest > MAX_NESTING:
            break
    return Shape(elements, deepest)


def _strip_tags(html: str) -> str:
    """The text of ``html`` by removing anything tag-like: linear, for markup too costly to parse."""
    text = _html.unescape(_TAG_LIKE.sub(" ", html))
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def flatten(html: str, max_length: int = 100_000, *, html_out: bool = True) -> str:
    """Markup's text without parsing it (linear): one escaped paragraph, or plain text when not ``html_out``."""
    text = _strip_tags(_to_utf8_safe(html[: max(max_length, _PLAIN_INPUT_CAP)]))
    if not html_out:
        return text[:max_length].rstrip()
    if not text:
        return ""
    out = f"<p>{_html.escape(text, quote=False)}</p>"
    while len(out) > max_length and text:
        text = text[: max(0, len(text) - (len(out) - max_length) - 1)]
        out = f"<p>{_html.escape(text, quote=False)}</p>" if text else ""
    return out


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    """Narrow allowed attribute values: class tokens, integer counters, boolean reversed."""
    if attribute == "class":
        kept = [token for token in value.split() if _CLASS_TOKEN.fullmatch(token)]
        return " ".join(kept) or None
    if (element, attribute) in (("ol", "start"), ("li", "value")):
        value = value.strip()
        return value if _INTEGER.fullmatch(value) else None
    if (element, attribute) == ("ol", "reversed"):
        return ""
    return value


_NH3_OPTIONS = {
    "tags": set(_ELEMENTS),
    "clean_content_tags": set(_DROP_WITH_CONTENT),
    # "*" must be given explicitly, or ammonia keeps its default generic lang/title attributes.
    "attributes": {"*": set(), **{tag: set(names) for tag, names in _ATTRIBUTES.items()}},
    "attribute_filter": _attribute_filter,
    "strip_comments": True,
    "link_rel": _LINK_REL,
    "url_schemes": set(LINK_PROTOCOLS),
    "url_relative": "deny",
}


def _rewrite(cleaned: str) -> str:
    """Map headings to paragraphs of bold text and unwrap links left without an href."""
    out: list[str] = []
    unwrap: list[bool] = []
    pos = 0
    for match in _TAG.finditer(cleaned):
        out.append(cleaned[pos : match.start()])
        pos = match.end()
        closing, name, attrs = match.group(1), match.group(2), match.group(3)
        if name in _HEADINGS:
            out.append("</strong></p>" if closing else "<p><strong>")
        elif name == "a" and not closing:
            dropped = ' href="' not in attrs
            unwrap.append(dropped)
            if not dropped:
                out.append(match.group(0))
        elif name == "a":
            if not (unwrap.pop() if unwrap else False):
                out.append(match.group(0))
        else:
            out.append(match.group(0))
    out.append(cleaned[pos:])
    return "".join(out)


def _clean(fragment: str) -> str:
    """Sanitise once, then re-run until the serialisation is stable (nested-tag quirks)."""
    out = _rewrite(nh3.clean(fragment, **_NH3_OPTIONS))
    for _ in range(_MAX_PASSES):
        again = _rewrite(nh3.clean(out, **_NH3_OPTIONS))
        if again == out:
            break
        out = again
    return out


def _to_utf8_safe(text: str) -> str:
    """Replace lone surrogates (legal in JSON, unencodable for nh3) with U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def sanitize_html(html: str, *, max_length: int = 100_000) -> str:
    """Return remote HTML reduced to the Mastodon-strict allowlist, at most ``max_length`` chars."""
    if not isinstance(html, str) or not isinstance(max_length, int) or max_length <= 0:
        return ""
    source = _to_utf8_safe(html)
    if not prescan(source[:max_length]).acceptable:
        return flatten(source[:max_length], max_length)
    budget = min(len(source), max_length)
    for _ in range(8):
        out = _clean(source[:budget])
        if len(out) <= max_length:
            return out
        # Escaping grew the text: truncate the input proportionally and try again.
        budget = budget * max_length // len(out) - 1
        if budget <= 0:
            break
    return ""


def plain_text(html: str, *, max_length: int = 500) -> str:
    """Return the text of remote HTML: no markup, entities decoded, whitespace collapsed, capped."""
    if not isinstance(html, str) or not isinstance(max_length, int) or max_length <= 0:
        return ""
    source = _to_utf8_safe(html[:_PLAIN_INPUT_CAP])
    if not prescan(source).acceptable:
        return _strip_tags(source)[:max_length].rstrip()
    cleaned = nh3.clean(
        source,
        tags=set(_PLAIN_BREAKS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={"*": set()},
        strip_comments=True,
        link_rel=None,
    )
    text = _html.unescape(_TAG.sub(" ", cleaned))
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
    return text[:max_length].rstrip()


def _markdown() -> MarkdownIt:
    """Build the CommonMark renderer: raw HTML off, images rendered as plain links."""
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    return md


_MD = _markdown()


def render_local_text(text: str, *, max_length: int = 100_000) -> str:
    """Render Markdown written on this hub to sanitised HTML (raw HTML is shown as text)."""
    if not isinstance(text, str) or not isinstance(max_length, int) or max_length <= 0:
        return ""
    rendered = _MD.render(_to_utf8_safe(text[:max_length]))
    # Rendering and re-serialising may grow the text (&nbsp; etc.); the source cap bounds it.
    return sanitize_html(rendered, max_length=8 * len(rendered) + 64)


async def off_loop(function: Callable[..., T], *args: object, budget: float = CLEAN_BUDGET, **kwargs: object) -> T:
    """``function(*args, **kwargs)`` in a worker thread, so CPU-heavy work (sanitising, flattening) never runs on the event loop.

    TimeoutError past ``budget`` seconds (the thread finishes on its own; its result is dropped).
    """
    return await asyncio.wait_for(asyncio.to_thread(function, *args, **kwargs), budget)
