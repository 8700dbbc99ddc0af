"""This hub's URLs: what is local, and which URLs are exactly a group's actor id."""

from __future__ import annotations

from federation.urls import Urls

URLS = Urls("https://hub.test")


def test_local_means_the_same_host_after_parsing_never_a_prefix():
    """hub.test.evil.example and userinfo tricks are not local; the host compares case-insensitively."""
    assert URLS.is_local("https://HUB.test/groups/climate")
    assert not URLS.is_local("https://hub.test.evil.example/groups/climate")
    assert not URLS.is_local("https://hub.test@evil.example/groups/climate")
    assert not URLS.is_local("http://[::1")


def test_group_slug_only_for_a_groups_own_actor_id():
    """The slug of /groups/<slug> on this host; collections, posts and other hosts give None."""
    assert URLS.group_slug(URLS.group("climate")) == "climate"
    assert URLS.group_slug(URLS.group_followers("climate")) is None
    assert URLS.group_slug("https://elsewhere.test/groups/climate") is None
    assert URLS.group_activity("climate", "follow", "x1").startswith(URLS.group("climate"))
