"""This hub's URLs: what is local, and which URLs are exactly a group's actor id."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import example, given, settings, strategies as st

from federation.urls import Urls

URLS = Urls("https://hub.test")


def test_local_means_the_same_host_after_parsing_never_a_prefix():
    """hub.test.evil.example and userinfo tricks are not local; the host compares case-insensitively."""
    assert URLS.is_local("https://HUB.test/groups/climate")
    assert not URLS.is_local("https://hub.test.evil.example/groups/climate")
    assert not URLS.is_local("https://hub.test@evil.example/groups/climate")
    assert not URLS.is_local("http://[::1")


def _parsed_whole(url: str) -> bool:
    """is_local as it was: the whole URL parsed."""
    try:
        return urlsplit(url).netloc.lower() == URLS.host
    except ValueError:
        return False


_PIECES = st.sampled_from(["https", "http", "hub.test", "HUB.test", "evil.example", "://", ":", "/", "//", "?", "#", "@",
                           "[", "]", "::1", ":443", "\t", "\n", " ", "\\", "%2F", "ﬀ", "x", ".", "a:b"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
@example("https://hub.test\t/x")
@example("  https://hub.test/x")
@example("http:x://hub.test/x")
@example("https://hub.te\nst/x")
@example("https://hub.test?x")
@example("https://hub.test#x")
@example("https://hub.test")
def test_local_is_decided_on_the_authority_as_a_whole_parse_decides_it(url: str):
    """Parsing only ``scheme://authority`` (cached per server) decides exactly as parsing the whole URL."""
    assert URLS.is_local(url) == _parsed_whole(url)


def test_group_slug_only_for_a_groups_own_actor_id():
    """The slug of /groups/<slug> on this host; collections, posts and other hosts give None."""
    assert URLS.group_slug(URLS.group("climate")) == "climate"
    assert URLS.group_slug(URLS.group_followers("climate")) is None
    assert URLS.group_slug("https://elsewhere.test/groups/climate") is None
    assert URLS.group_activity("climate", "follow", "x1").startswith(URLS.group("climate"))


def test_long_authorities_are_parsed_but_not_kept():
    """A made-up authority of 100,000 characters is decided like any other and leaves nothing in the cache."""
    from federation import urls

    before = urls._netloc.cache_info().currsize
    assert not URLS.is_local("https://" + "a" * 100_000 + "/x")
    assert not URLS.is_local("https://hub.test@" + "b" * 100_000 + "/x")
    assert urls._netloc.cache_info().currsize == before
    assert URLS.is_local("https://hub.test/" + "c" * 100_000)
