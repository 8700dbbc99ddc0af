"""RSS 2.0 and Atom feeds per group: public posts only, well-formed, escaped."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from tests.web.test_pages import make_post

pytestmark = pytest.mark.db
ATOM = "{http://www.w3.org/2005/Atom}"


async def test_rss(web) -> None:
    """The RSS feed lists public posts, newest first, without members-only or removed ones."""
    alice = await web.person("alice")
    group = await web.group_with("climate", name="Climate & Co", role_of={alice: "member"})
    await make_post(group, alice, "First <b>post</b>", days_ago=1)
    await make_post(group, alice, "Second post")
    await make_post(group, alice, "Hidden", visibility="members")
    await make_post(group, alice, "Gone", state="removed")
    response = await web.client.get("/groups/climate/feed.rss")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    channel = root.find("channel")
    assert channel.findtext("title") == "Climate & Co"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Second post", "First post"]
    assert items[1].findtext("description") == "<p>First <b>post</b></p>"
    assert items[0].findtext("link").startswith("http://127.0.0.1:8123/posts/")


async def test_atom(web) -> None:
    """The Atom feed has ids, dates, authors, language and HTML content."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    await make_post(group, alice, "Hola", language="es")
    response = await web.client.get("/groups/climate/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Alice"
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html" and content.text == "<p>Hola</p>"
    assert content.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"


async def test_private_and_unknown_groups_have_no_feed(web) -> None:
    """Private and unknown groups answer 404."""
    await web.group_with("secret", private=True)
    assert (await web.client.get("/groups/secret/feed.rss")).status_code == 404
    assert (await web.client.get("/groups/nope/feed.atom")).status_code == 404
