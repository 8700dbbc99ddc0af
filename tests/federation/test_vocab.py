"""Tests for federation.vocab: defensive readers of untrusted ActivityStreams JSON."""

from __future__ import annotations

import pytest

from federation.vocab import (
    MAX_ID_LENGTH,
    MAX_MENTIONS,
    content_and_language,
    is_http_id,
    malformed_field,
    mention_count,
    parse_time,
)

GROUP = "http://hub.test/groups/climate"


def test_is_http_id_wants_a_short_http_url():
    """Only http(s) strings of at most MAX_ID_LENGTH characters are ids the hub stores."""
    assert is_http_id("https://remote.test/users/a")
    assert not is_http_id("javascript:alert(1)")
    assert not is_http_id(42)
    assert not is_http_id("https://remote.test/" + "a" * MAX_ID_LENGTH)
    assert not is_http_id("https://remote.test/a\x00b")
    assert not is_http_id("https://remote.test/a b")


def test_mention_count_counts_distinct_accounts_over_every_tag():
    """Repeated mentions count once; tags past the reading cap still count; hashtags do not."""
    tags = [{"type": "Mention", "href": GROUP}] * 3 + [{"type": "Hashtag", "name": "#x"}]
    tags += [{"type": "Mention", "href": f"https://r.test/u{n}"} for n in range(300)]
    assert mention_count({"tag": tags}) == 301
    assert mention_count({"tag": {"type": "Mention", "name": "@a@b.test"}}) == 1
    assert mention_count({"tag": "nonsense"}) == 0
    assert MAX_MENTIONS == 50


@pytest.mark.parametrize(
    "obj, field",
    [
        ({"content": 42}, "content"),
        ({"name": ["a"]}, "name"),
        ({"summary": {"x": 1}}, "summary"),
        ({"contentMap": "<p>x</p>"}, "contentMap"),
        ({"contentMap": {"en": 42}}, "contentMap"),
        ({"published": 1700000000}, "published"),
        ({"inReplyTo": True}, "inReplyTo"),
        ({"inReplyTo": "https://r.test/" + "1" * 2000}, "inReplyTo"),
        ({"to": 42}, "to"),
        ({"cc": 4.5}, "cc"),
        ({"tag": True}, "tag"),
        ({"attachment": 42}, "attachment"),
        ({"url": False}, "url"),
    ],
)
def test_malformed_field_names_the_field_of_the_wrong_type(obj: dict, field: str):
    """A field of a type ActivityStreams does not allow makes the object malformed, naming the field."""
    assert field in malformed_field(obj)


def test_malformed_field_accepts_real_shapes_and_nulls():
    """Strings, objects, lists and null (Mastodon's summary: null) are all fine."""
    obj = {
        "content": "<p>x</p>", "contentMap": {"en": "<p>x</p>"}, "summary": None, "inReplyTo": None,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": GROUP, "tag": {"type": "Mention"},
        "attachment": [], "url": [{"type": "Link", "href": "https://r.test/a"}], "published": "2025-01-01T00:00:00Z",
    }
    assert malformed_field(obj, {"to": [GROUP], "cc": []}) is None
    assert "activity's to" in malformed_field(obj, {"to": 42})


def test_content_map_language_must_look_like_a_language_tag():
    """A contentMap key is kept as the language only when it is a BCP 47-looking tag."""
    assert content_and_language({"contentMap": {"pt-BR": "<p>oi</p>"}}) == ("<p>oi</p>", "pt-BR")
    assert content_and_language({"contentMap": {'x" onclick="a': "<p>hi</p>"}}) == ("<p>hi</p>", None)


def test_parse_time_survives_dates_past_the_calendar():
    """Year 9999 with a negative offset (past datetime.max in UTC) is no time, not an OverflowError."""
    assert parse_time("9999-12-31T23:59:59-23:59") is None
    assert parse_time("0001-01-01T00:00:00+23:59") is None
    assert parse_time("2025-01-01T00:00:00Z").year == 2025


def test_language_from_content_map_language_or_context(caplog) -> None:
    """contentMap's key first; else Mastodon-style ``language``; else ``@language`` of the object's or activity's context."""
    import logging

    from federation.vocab import content_and_language

    assert content_and_language({"contentMap": {"es": "<p>hola</p>"}}) == ("<p>hola</p>", "es")
    assert content_and_language({"content": "<p>oi</p>", "language": "pt-BR"}) == ("<p>oi</p>", "pt-BR")
    note = {"content": "<p>habari</p>"}
    activity = {"@context": ["https://www.w3.org/ns/activitystreams", {"@language": "sw"}], "object": note}
    assert content_and_language(note, activity) == ("<p>habari</p>", "sw")
    with caplog.at_level(logging.INFO, logger="causeway.federation"):
        assert content_and_language({"contentMap": {"not a tag!": "<p>x</p>"}}) == ("<p>x</p>", None)
    assert "language ignored code='not a tag!' source=contentMap" in caplog.text
