"""Tests for federation.post_media: a stored post's images and hashtags, read from the activity as received."""

from __future__ import annotations

import json

from federation.post_media import PostMedia, hashtag_pattern, post_media
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
