"""Tests for federation.sanitize: hostile HTML, real Mastodon content, local Markdown, properties."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.sanitize import LINK_PROTOCOLS, plain_text, render_local_text, sanitize_html

PAYLOADS = Path("/work/shared/interop/payloads/mastodon")
ALLOWED_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
    "ul", "ol", "li", "ruby", "rt", "rp",
}
ALLOWED_ATTRS = {"a": {"href", "class", "rel"}, "span": {"class"}, "ol": {"start", "reversed"}, "li": {"value"}}
FORBIDDEN = ("script", "onerror", "javascript:", "iframe", "svg", "style")

HOSTILE = {
    "script": "<script>alert(1)</script>hello",
    "script-unclosed": "<p>hi<script>alert(document.cookie)",
    "script-nested-trick": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script-in-attr-close": '<p title="</p><script>alert(1)</script>">x</p>',
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-upper": '<IMG SRC="x" ONERROR="alert(1)">',
    "a-javascript": '<a href="javascript:alert(1)">click</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">click</a>',
    "a-javascript-entities": '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">c</a>',
    "a-javascript-hex-entities": '<a href="&#x6A;avascript&#x3A;alert(1)">c</a>',
    "a-javascript-whitespace": '<a href="  java\tscr\nipt:alert(1)">c</a>',
    "a-javascript-tab-entity": '<a href="jav&#x09;ascript:alert(1)">c</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">c</a>',
    "a-data": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">c</a>',
    "a-onclick": '<a href="https://ok.example/" onclick="alert(1)" onmouseover="alert(2)">c</a>',
    "iframe": '<iframe src="https://evil.example/"></iframe>after',
    "iframe-javascript": '<iframe src="javascript:alert(1)">inner</iframe>',
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-onload": "<svg/onload=alert(1)>",
    "svg-foreign": "<svg><foreignObject><iframe src=x></iframe></foreignObject></svg>",
    "style-element": "<style>body{background:url(javascript:alert(1))}</style>text",
    "style-attr": '<p style="background:url(javascript:alert(1));position:fixed">x</p>',
    "style-expression": '<span style="width:expression(alert(1))">x</span>',
    "math": '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    "math-href": '<math href="javascript:alert(1)"><mi>x</mi></math>',
    "object-embed": '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    "form": '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button></form>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="javascript:alert(1)//"><a href="/x">x</a>',
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "template": "<template><script>alert(1)</script></template>",
    "comment": "<!--<script>alert(1)</script>-->ok",
    "unclosed-attr": '<a href="https://ok.example/ onmouseover=alert(1) ',
    "unclosed-tags": "<p><b><i><a href='https://ok.example/'>x",
    "table-nesting": "<a href=https://a.example/><table><td><a href=javascript:alert(1)>q",
    "class-injection": '<span class="mention" class="x" onfocus="alert(1)" autofocus tabindex=1>x</span>',
}

FIELD_STYLES = {
    "content": sanitize_html,
    "summary": sanitize_html,
    "contentMap": lambda html: {lang: sanitize_html(v) for lang, v in {"en": html}.items()}["en"],
    "bio": sanitize_html,
    "name": plain_text,
    "attachment-name": plain_text,
    "display-name": plain_text,
    "local-text": render_local_text,
}


class _Collect(HTMLParser):
    """Collect (tag, attrs) pairs from a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_safe_markup(out: str) -> None:
    """Every tag and attribute in ``out`` is on the allowlist and every href has a safe scheme."""
    parser = _Collect()
    parser.feed(out)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, out)
        assert set(attrs) <= ALLOWED_ATTRS.get(tag, set()), (tag, attrs, out)
        if tag == "a":
            assert "href" in attrs and attrs["rel"] == "nofollow noopener noreferrer", out
            assert attrs["href"].split(":", 1)[0].lower() in LINK_PROTOCOLS, out


@pytest.mark.parametrize("field", FIELD_STYLES)
@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_neutralised(field, payload):
    out = FIELD_STYLES[field](payload)
    assert_safe_markup(out)
    lowered = out.lower()
    if field == "local-text":
        # Raw HTML in local Markdown is escaped, so the words may remain but never as markup.
        for word in FORBIDDEN:
            assert f"<{word}" not in lowered, (word, out)
        assert "&lt;" in out
    else:
        for word in FORBIDDEN:
            assert word not in lowered, (word, out)
    if field in ("name", "attachment-name", "display-name"):
        assert "<" not in out


@pytest.mark.parametrize("value", [None, 3, b"<p>x</p>", ["<p>"], {"en": "<p>"}, 1.5])
def test_non_string_input_returns_empty(value):
    assert sanitize_html(value) == ""
    assert plain_text(value) == ""
    assert render_local_text(value) == ""


def _load(relative: str) -> dict:
    return json.loads((PAYLOADS / relative).read_text())


def test_real_mastodon_mention_content_is_kept():
    content = _load("objects/note_2.json")["content"]
    out = sanitize_html(content)
    assert_safe_markup(out)
    assert out.count("<p>") == content.count("<p>") == 4
    assert '<span class="h-card">' in out
    assert '<a href="https://lemmy.kde.social/c/kde" class="u-url mention" rel="nofollow noopener noreferrer">' in out
    assert '<a href="https://kde.org/donate/" rel="nofollow noopener noreferrer">' in out
    assert '<span class="invisible">https://</span>' in out
    assert "target" not in out and "translate" not in out and 'class=""' not in out
    assert "We also need funding 💶 to keep the gears turning!" in out
    assert sanitize_html(out) == out


def test_real_mastodon_hashtag_content_is_kept():
    items = _load("collections/featured.json")["orderedItems"]
    content = next(item["content"] for item in items if "hashtag" in item.get("content", ""))
    out = sanitize_html(content)
    assert_safe_markup(out)
    assert (
        '<a href="https://mastodon.social/tags/reddit" class="mention hashtag" '
        'rel="nofollow noopener noreferrer">#<span>reddit</span></a>'
    ) in out
    assert out.count("<p>") == content.count("<p>")
    assert out.count("<a ") == content.count("<a ")


def test_real_mastodon_entities_and_plain_text():
    content = _load("objects/page.json")["content"]
    assert "I&#39;m" in content
    text = plain_text(content)
    assert text.startswith("@tenforward Variable never resetting at refresh Hi! I'm using")
    assert "<" not in text and "&#39;" not in text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h1>Title</h1><h6>t</h6>", "<p><strong>Title</strong></p><p><strong>t</strong></p>"),
        ('<a href="/relative">rel</a> <a href="#frag">f</a>', "rel f"),
        ('<a href="ftp://x.example/">ftp</a>', "ftp"),
        ('<a href="gemini://g.example/" rel="me" target="_blank">g</a>',
         '<a href="gemini://g.example/" rel="nofollow noopener noreferrer">g</a>'),
        ('<a href="mailto:a@b.example">m</a>', '<a href="mailto:a@b.example" rel="nofollow noopener noreferrer">m</a>'),
        ('<ol start="3" reversed><li value="2">a</li><li value="x">b</li></ol>',
         '<ol start="3" reversed=""><li value="2">a</li><li>b</li></ol>'),
        ('<span class="p-name evil mention e-content hashtag2">x</span>', '<span class="p-name mention e-content">x</span>'),
        ('<p class="x" lang="en" id="y">p</p>', "<p>p</p>"),
        ("<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>", "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"),
        ("<div><table><tr><td>cell</td></tr></table></div>", "cell"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("x\ud800y", "x\ufffdy"),
    ],
)
def test_sanitize_html_examples(html, expected):
    assert sanitize_html(html) == expected


def test_sanitize_html_max_length():
    long = "<p>" + "word " * 50_000 + "</p>"
    out = sanitize_html(long)
    assert len(out) <= 100_000 and out.startswith("<p>word") and out.endswith("</p>")
    escaping = sanitize_html("<" * 1000, max_length=100)
    assert 0 < len(escaping) <= 100 and sanitize_html(escaping, max_length=100) == escaping
    assert sanitize_html("<p>x</p>", max_length=0) == ""


def test_plain_text():
    assert plain_text("<p>Hello&amp;<b>wo</b>rld</p><p>next\n\t line</p>") == "Hello&world next line"
    assert plain_text("<script>alert(1)</script><style>a{}</style>Name") == "Name"
    assert plain_text("Caf&eacute; &lt;b&gt;") == "Café <b>"
    assert plain_text("a\x00b\x07c") == "abc"
    assert plain_text("x" * 1000) == "x" * 500
    assert plain_text("word " * 100, max_length=12) == "word word wo"
    assert plain_text("<img alt='hidden'>") == ""


def test_render_local_text():
    out = render_local_text("**bold** and [a link](https://example.org/x) <b>raw</b> <script>alert(1)</script>")
    assert "<strong>bold</strong>" in out
    assert '<a href="https://example.org/x" rel="nofollow noopener noreferrer">a link</a>' in out
    assert "&lt;b&gt;raw&lt;/b&gt;" in out and "&lt;script&gt;" in out
    assert "<b>" not in out and "<script" not in out
    assert_safe_markup(out)


def test_render_local_text_blocks_and_unsafe_links():
    out = render_local_text(
        "# Rules\n\n1. Be kind\n2. No ads\n\n> quote\n\n`code` [x](javascript:alert(1)) <https://auto.example>\n"
        "![img](https://img.example/a.png)"
    )
    assert "<p><strong>Rules</strong></p>" in out
    assert "<ol>" in out and "<li>Be kind</li>" in out and "<blockquote>" in out and "<code>code</code>" in out
    assert 'href="javascript' not in out and "[x](javascript:alert(1))" in out
    assert '<a href="https://auto.example" rel="nofollow noopener noreferrer">https://auto.example</a>' in out
    assert "<img" not in out and 'href="https://img.example/a.png"' in out
    assert_safe_markup(out)
    assert sanitize_html(out) == out


TOKENS = [
    "<p>", "</p>", "<br>", "<b>", "</b>", "<i>", "<span class=\"h-card x\">", "</span>", "<a href=\"https://a.example/\">",
    "<a href=\"/rel\">", "<a href=javascript:alert(1)>", "</a>", "<h1>", "</h1>", "<h3>", "</h3>", "<ul>", "<ol start=2>",
    "<li value=3>", "</li>", "</ul>", "<table>", "<td>", "<tr>", "</table>", "<pre>", "</pre>", "<blockquote>", "<script>",
    "</script>", "<style>", "<svg>", "<math>", "<mtext>", "<noscript>", "<template>", "<select>", "<textarea>", "<iframe>",
    "<img src=x onerror=alert(1)>", "<!--", "-->", "<", ">", "&", "&amp;", "&lt;", "&#", "\"", "'", "=", "\n", "\u00a0",
    "<ruby>", "<rt>", "<form>", "<button>", "<option>", "<plaintext>", "<xmp>", "<title>", "<object>", "<frameset>",
]
tag_soup = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=40).map("".join)
markdown_soup = st.lists(
    st.one_of(st.sampled_from(["**", "*", "_", "`", "```\n", "[", "](", ")", "<", ">", "# ", "- ", "1. ", "\n", "\n\n",
                               "https://x.example/", "javascript:", "<script>", "![", "|", "\\", "&amp;", "    "]),
              st.text(max_size=4)),
    max_size=40,
).map("".join)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.one_of(st.text(), tag_soup))
def test_sanitize_html_is_idempotent_and_safe(html):
    out = sanitize_html(html)
    assert "<script" not in out.lower()
    assert sanitize_html(out) == out
    assert_safe_markup(out)


@PROPERTY
@given(tag_soup, st.integers(min_value=1, max_value=120))
def test_sanitize_html_respects_max_length(html, max_length):
    out = sanitize_html(html, max_length=max_length)
    assert len(out) <= max_length
    assert sanitize_html(out, max_length=max_length) == out


@PROPERTY
@given(st.one_of(st.text(), tag_soup), st.integers(min_value=-5, max_value=600))
def test_plain_text_never_raises(html, max_length):
    out = plain_text(html, max_length=max_length)
    assert len(out) <= max(max_length, 0)
    assert out == out.strip() and "  " not in out


@PROPERTY
@given(st.one_of(st.text(), markdown_soup, tag_soup))
def test_render_local_text_never_raises(text):
    out = render_local_text(text)
    assert "<script" not in out.lower()
    assert sanitize_html(out) == out
