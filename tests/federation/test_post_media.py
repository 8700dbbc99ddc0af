"""Tests for federation.post_media: a stored post's images and hashtags, read from the activity as received."""

from __future__ import annotations

import json

import pytest

from federation.post_media import PostMedia, hashtag_pattern, link_hashtags, post_media
from hub.models import Post


def stored(activity: object) -> Post:
    """An unsaved post carrying ``activity`` as received."""
    return Post(activity_json=activity if isinstance(activity, str) else json.dumps(activity))


def test_images_with_alt_text_and_hashtags_of_a_create() -> None:
    """Image attachments (http(s), with their alt text) and Hashtag tags in lower case, without repeats or odd names."""
    note = {"type": "Note", "attachment": [
        {"type": "Document", "mediaType": "image/jpeg", "url": "https://m.example/a.jpg", "name": "A banner"},
        {"type": "Document", "mediaType": "video/mp4", "url": "https://m.example/v.mp4"},
        {"type": "Image", "url": "javascript:alert(1)", "name": "bad"}],
        "tag": [{"type": "Hashtag", "name": "#Climate"}, {"type": "Hashtag", "name": "#climate"},
                {"type": "Hashtag", "name": "#bad tag"}, {"type": "Mention", "name": "@a@b.example"}]}
    media = post_media(stored({"type": "Create", "object": note}))
    assert media.images == [{"url": "https://m.example/a.jpg", "media_type": "image/jpeg", "alt": "A banner"}]
    assert media.hashtags == ["climate"]


def test_unreadable_or_empty_activities_have_nothing() -> None:
    """Not JSON, not an object, or no attachments and tags: no images, no hashtags."""
    for raw in ("{not json", "[1, 2]", "{}", json.dumps({"type": "Create", "object": "https://x.example/1"})):
        assert post_media(stored(raw)) == PostMedia()


def test_hashtag_pattern_is_the_json_name() -> None:
    """The lookup string is the Hashtag's name as JSON writes it."""
    assert hashtag_pattern("climate") == '"#climate"'
    assert hashtag_pattern("ação") == '"#ação"'


def test_hashtag_links_lead_to_the_local_page() -> None:
    """Mastodon's hashtag links point at the group's hashtag page; mentions and other links are untouched."""
    content = ('<p>March <a href="https://m.example/tags/ClimateStrike" class="mention hashtag" rel="nofollow noopener noreferrer">'
               '#<span>ClimateStrike</span></a> with <span class="h-card"><a href="https://m.example/@ann" class="u-url mention" '
               'rel="nofollow noopener noreferrer">@<span>ann</span></a></span> <a href="https://m.example/x" '
               'rel="nofollow noopener noreferrer">link</a> <a href="https://m.example/tags/x" class="hashtag">#<span>bad&lt;</span></a></p>')
    out = link_hashtags(content, lambda tag: f"/groups/climate/tags/{tag}")
    assert '<a href="/groups/climate/tags/climatestrike" class="mention hashtag" rel="nofollow noopener noreferrer">#<span>ClimateStrike</span></a>' in out
    assert 'href="https://m.example/@ann"' in out and 'href="https://m.example/x"' in out
    assert 'href="https://m.example/tags/x"' in out  # not a word: left as it was
    assert link_hashtags("<p>no tags</p>", lambda tag: "/") == "<p>no tags</p>"


def tag_page(tag: str) -> str:
    """The group's hashtag page, as the web layer builds it."""
    return f"/groups/climate/tags/{tag}"


def test_plain_text_hashtags_the_post_carries_are_linked() -> None:
    """A plain ``#Tag`` the post carries links to the group's page, matched whatever its case; others stay text."""
    out = link_hashtags("<p>Join the #ClimateStrike and #CLIMATESTRIKE, not #other.</p><p>#climatestrike!</p>", tag_page,
                        ["climatestrike"])
    link = '<a href="/groups/climate/tags/climatestrike" class="mention hashtag" rel="tag">#<span>{}</span></a>'
    assert out == (f"<p>Join the {link.format('ClimateStrike')} and {link.format('CLIMATESTRIKE')}, not #other.</p>"
                   f"<p>{link.format('climatestrike')}!</p>")
    assert link_hashtags("<p>#ação</p>", tag_page, ["AÇÃO"]) == (
        '<p><a href="/groups/climate/tags/ação" class="mention hashtag" rel="tag">#<span>ação</span></a></p>')


@pytest.mark.parametrize("content", [
    '<p><a href="https://x.example/#ClimateStrike">see #ClimateStrike</a></p>',  # inside a link already
    '<p><code>#ClimateStrike</code> and <pre>echo #ClimateStrike</pre></p>',  # code
    '<p><a href="https://x.example/"><span>#ClimateStrike</span></a></p>',  # nested in a link
    "<p>foo#ClimateStrike and _#ClimateStrike</p>",  # not a word of its own
    "<p>#ClimateStrikes and #ClimateStrike_now</p>",  # a longer word
    "<p>https://x.example/#ClimateStrike www.x.example/a?b=#ClimateStrike http://x.example/#ClimateStrike.</p>",  # URLs
    "<p>&#35;ClimateStrike and &amp;#ClimateStrike and &#38;#ClimateStrike</p>",  # entities
    '<p><img alt="#ClimateStrike" src="https://x.example/a.png"></p>',  # attributes
    "<p>#ClimateStrike</p>".replace("#", "＃"),  # a fullwidth sign is not '#'
])
def test_plain_text_hashtags_are_never_linked_where_they_must_not_be(content: str) -> None:
    """Inside links, code and pre, attributes, URLs, entities and longer words, a carried tag stays as it is."""
    assert link_hashtags(content, tag_page, ["climatestrike"]) == content


def test_plain_text_links_are_escaped_and_closing_tags_resume_linking() -> None:
    """The page URL is escaped; after a link or code closes, text is linked again; a stray closing tag is harmless."""
    out = link_hashtags('<p><code>#rent</code> #rent</p></a></code><p>#rent</p>', lambda tag: f'/t/"{tag}<', ["rent"])
    assert out.count('href="/t/&quot;rent&lt;"') == 2 and out.startswith("<p><code>#rent</code> <a ")
    assert link_hashtags("<p>no sign here</p>", tag_page, ["rent"]) == "<p>no sign here</p>"
    assert link_hashtags("<p>#rent</p>", tag_page) == "<p>#rent</p>"  # no tags carried
    assert link_hashtags("<p>#rent</p>", tag_page, ["not a tag", ""]) == "<p>#rent</p>"
