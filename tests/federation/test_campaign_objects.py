"""Reading members' posts for campaigns: text by lines, hashtags from tags and text, and the group's own object ids."""

from __future__ import annotations

from federation.campaign_objects import local_object, object_uri, post_hashtags, text_lines
from federation.urls import Urls

URLS = Urls("https://hub.test")


def test_text_lines_keep_paragraphs_and_breaks_and_drop_markup():
    """One line per paragraph or <br>, tags removed, blank lines dropped."""
    assert text_lines("<p>need: water</p><p>offer: <b>tents</b><br/>and tarps</p><p></p>") == "need: water\noffer: tents\nand tarps"


def test_hashtags_come_from_tags_and_text_once_each():
    """A Hashtag tag and the same #word in the text count once; a #word only in the text counts too."""
    obj = {"tag": [{"type": "Hashtag", "name": "#Flood2026"}]}
    assert post_hashtags(obj, "Sandbags #flood2026 #relief") == ["flood2026", "relief"]


def test_the_groups_own_object_ids_are_recognised_and_others_not():
    """{group}/objects/{kind}/{id} on this hub is the group's object; another host or kind is not."""
    uri = object_uri(URLS, "aid", "call", 4)
    ref = local_object(URLS, uri)
    assert (ref.slug, ref.kind, ref.id) == ("aid", "call", 4)
    assert local_object(URLS, uri.replace("hub.test", "evil.test")) is None
    assert local_object(URLS, f"{URLS.group('aid')}/objects/poll/4") is None and local_object(URLS, None) is None
    assert local_object(URLS, object_uri(URLS, "aid", "decision", 7)).kind == "decision"
