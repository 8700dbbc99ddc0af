"""The public pages people return to: avatars, images with alt text, hashtag pages, threads, pagination, search,
Markdown on directory cards, the weekly activity chart, the header image, the favicon, help without an account."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import now
from hub.models import Membership, Peer, Post, RemoteActor
from hub.services import activity
from hub.services import posts as posts_service
from hub.settings import load_settings
from hub.errors import SettingsError
from hub import changes
from web.activity import SECONDS, ActivityCache
from web.pages import PAGE_SIZE

pytestmark = pytest.mark.db


async def post(group, author, text: str, *, n: int, tags=(), images=(), visibility="public", reply_to=None, thread=None,
               when=None) -> Post:
    """A published post whose stored activity carries hashtags and image attachments as Mastodon sends them."""
    uri = f"https://social.example/notes/{group.slug}/{n}"
    obj = {"type": "Note", "id": uri, "content": text,
           "tag": [{"type": "Hashtag", "name": f"#{t}", "href": f"https://social.example/tags/{t.lower()}"} for t in tags],
           "attachment": [{"type": "Document", "mediaType": "image/png", "url": url, "name": alt} for url, alt in images]}
    return await Post.create(
        group=group, author=author, uri=uri, object_type="Note", thread_uri=thread or uri, in_reply_to=reply_to,
        content_html=f"<p>{text}</p>", visibility=visibility, state="published", published_at=when or now(),
        activity_json=json.dumps({"type": "Create", "object": obj}),
    )


async def test_post_shows_author_avatar_images_with_alt_and_linked_hashtags(web) -> None:
    """A post's author avatar (https only), its image with the alt text, and its hashtags linking the group's hashtag page."""
    alice = await web.person("alice")
    peer, _ = await Peer.get_or_create(host="social.example")
    await RemoteActor.create(account=alice, peer=peer, uri=alice.uri, actor_type="Person", inbox=f"{alice.uri}/inbox",
                             fetched_at=now(), icon_url="https://social.example/avatars/alice.png")
    group = await web.group_with("climate", role_of={alice: "member"})
    await post(group, alice, "March on Friday", n=1, tags=["ClimateStrike"],
               images=[("https://social.example/media/m.png", "Crowd with a green banner")])
    page = (await web.client.get("/groups/climate")).text
    assert 'src="https://social.example/avatars/alice.png"' in page
    assert '<img src="https://social.example/media/m.png" alt="Crowd with a green banner"' in page
    assert 'href="http://127.0.0.1:8123/groups/climate/tags/climatestrike" rel="tag">#climatestrike</a>' in page


async def test_plain_text_hashtags_link_the_group_page(web) -> None:
    """A ``#Tag`` written as plain text (Lemmy, Pleroma) links the group's hashtag page when the post carries the tag;
    an uncarried one, and one inside the post's code, stay text."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    await post(group, alice, "Join the #ClimateStrike, not #other; run <code>#ClimateStrike</code>", n=1, tags=["climatestrike"])
    page = (await web.client.get("/groups/climate")).text
    assert ('Join the <a href="http://127.0.0.1:8123/groups/climate/tags/climatestrike" class="mention hashtag" rel="tag">'
            '#<span>ClimateStrike</span></a>, not #other; run <code>#ClimateStrike</code>') in page


async def test_initial_instead_of_missing_avatar(web) -> None:
    """An author without a known avatar gets the initial of their name (no broken image)."""
    bob = await web.person("bob")
    group = await web.group_with("climate", role_of={bob: "member"})
    await post(group, bob, "Hello", n=1)
    page = (await web.client.get("/groups/climate")).text
    assert '<span class="face initial" aria-hidden="true">B</span>' in page


async def test_hashtag_page_lists_the_groups_tagged_posts(web) -> None:
    """/groups/SLUG/tags/TAG: the group's posts with that hashtag (any case), not other posts or other groups' posts."""
    alice = await web.person("alice")
    climate = await web.group_with("climate", role_of={alice: "member"})
    other = await web.group_with("other", role_of={alice: "member"})
    await post(climate, alice, "Tagged one", n=1, tags=["Strike"])
    await post(climate, alice, "Untagged, says #strike in quotes only as text", n=2)
    await post(climate, alice, "Members only tagged", n=3, tags=["strike"], visibility="members")
    await post(other, alice, "Elsewhere", n=4, tags=["strike"])
    page = await web.client.get("/groups/climate/tags/strike")
    assert page.status_code == 200
    assert "Tagged one" in page.text and "Untagged" not in page.text and "Elsewhere" not in page.text
    assert "Members only tagged" not in page.text
    assert (await web.client.get("/groups/climate/tags/no%20such")).status_code == 404


async def test_hashtag_pages_keep_their_older_link_when_a_stored_text_only_names_the_tag(web) -> None:
    """A post whose stored activity says "#strike" without carrying the tag is left out, and the page still links
    the older posts (the row fetched to see whether older ones exist is never shown unchecked)."""
    alice = await web.person("alice")
    climate = await web.group_with("climate", role_of={alice: "member"})
    start = now() - timedelta(hours=1)
    for n in range(PAGE_SIZE + 1):
        await post(climate, alice, f"Tagged number {n}.", n=n, tags=["strike"], when=start + timedelta(minutes=n))
    decoy = await post(climate, alice, "Names it only", n=99, when=start + timedelta(minutes=59))
    await Post.filter(id=decoy.id).update(activity_json=json.dumps({"type": "Create", "object": {"type": "Note", "name": "#strike"}}))
    page = (await web.client.get("/groups/climate/tags/strike")).text
    assert "Names it only" not in page and "Tagged number 2." in page and "Tagged number 1." not in page
    older = re.search(r'href="[^"]*/groups/climate/tags/strike\?before=(\d+)"', page)
    assert older is not None, "no link to the older posts"
    second = (await web.client.get(f"/groups/climate/tags/strike?before={older.group(1)}")).text
    assert "Tagged number 1." in second and "Tagged number 0." in second


async def test_replies_are_shown_as_a_thread(web) -> None:
    """A reply to a reply is nested under it; a reply to the post sits at the first level."""
    alice, bob = await web.person("alice"), await web.person("bob")
    group = await web.group_with("climate", role_of={alice: "member", bob: "member"})
    root = await post(group, alice, "Root post", n=1)
    first = await post(group, bob, "First reply", n=2, reply_to=root.uri, thread=root.uri)
    await post(group, alice, "Answer to the first reply", n=3, reply_to=first.uri, thread=root.uri)
    await post(group, bob, "Second reply", n=4, reply_to=root.uri, thread=root.uri)
    page = (await web.client.get(f"/posts/{root.id}")).text
    replies = page.split('id="replies"', 1)[1]
    nested = re.search(r'<li class="subthread"><ul class="posts replies" aria-label="Replies to Bob">(.*?)</ul></li>', replies, re.S)
    assert nested and "Answer to the first reply" in nested.group(1) and "Second reply" not in nested.group(1)
    assert replies.index("First reply") < replies.index("Answer to the first reply") < replies.index("Second reply")
    assert "3 replies" in page


async def test_older_posts_by_stable_before_links(web) -> None:
    """The group page shows the newest posts and links older ones by ?before=ID; that URL keeps its posts when more are posted."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    for n in range(PAGE_SIZE + 5):
        await post(group, alice, f"Post number {n:03d}", n=n)
    first = (await web.client.get("/groups/climate")).text
    assert "Post number 024" in first and "Post number 004" not in first
    link = re.search(r'href="http://127.0.0.1:8123/groups/climate\?before=(\d+)" rel="next"', first)
    assert link
    older = (await web.client.get(f"/groups/climate?before={link.group(1)}")).text
    assert "Post number 004" in older and "Post number 000" in older
    assert "Post number 005" not in older and "Post number 024" not in older and 'rel="next"' not in older
    await post(group, alice, "A newer post", n=99)
    again = (await web.client.get(f"/groups/climate?before={link.group(1)}")).text
    assert re.findall(r"Post number \d+", again) == re.findall(r"Post number \d+", older)


async def test_search_within_a_group(web) -> None:
    """?q= finds the group's posts containing the words (case-insensitive), not other groups' and not members-only ones."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    other = await web.group_with("other", role_of={alice: "member"})
    await post(group, alice, "Bike repair workshop on Sunday", n=1)
    await post(group, alice, "Tree planting", n=2)
    await post(group, alice, "Secret bike plan", n=3, visibility="members")
    await post(other, alice, "Bike parade", n=4)
    page = (await web.client.get("/groups/climate", params={"q": "BIKE"})).text
    assert "Bike repair workshop" in page and "Tree planting" not in page and "Bike parade" not in page and "Secret bike" not in page
    assert "Posts matching “BIKE”" in page
    none = (await web.client.get("/groups/climate", params={"q": "<b>nothing</b>"})).text
    assert "No post matches “&lt;b&gt;nothing&lt;/b&gt;”" in none


async def test_directory_cards_render_markdown_as_text(web) -> None:
    """A group's Markdown about text reads without its markup on the directory card."""
    await web.group_with("climate", name="Climate", summary="We **act** now. See [our site](https://example.org).\n\n# Goals")
    page = (await web.client.get("/")).text
    card = page.split('class="summary"', 1)[1].split("</p>", 1)[0]
    assert "We act now. See our site." in card and "**" not in card and "#" not in card


async def test_plurals_are_counted(web) -> None:
    """One member is "1 member", two are "2 members"."""
    alice, bob = await web.person("alice"), await web.person("bob")
    group = await web.group_with("climate", role_of={alice: "member"})
    assert "1 member ·" in (await web.client.get("/groups/climate")).text
    await Membership.create(group=group, account=bob, state="accepted")
    changes.note("content")  # as a service's change does (hub.services.events.record): cached parts are stale
    assert "2 members" in (await web.client.get("/groups/climate?r=1")).text


async def test_activity_chart_counts_posts_and_new_members_per_week(web) -> None:
    """The group page draws posts and new members per week as an inline SVG with a title, a description and a table."""
    alice, bob = await web.person("alice"), await web.person("bob")
    group = await web.group_with("climate", role_of={alice: "member"})
    await Membership.create(group=group, account=bob, state="accepted")
    await post(group, alice, "This week", n=1)
    await post(group, alice, "Three weeks ago", n=2, when=now() - timedelta(weeks=3))
    await post(group, alice, "Long ago", n=3, when=now() - timedelta(weeks=40))
    await post(group, alice, "Members only", n=4, visibility="members")
    weeks = await activity.weekly_activity(group)
    assert len(weeks) == activity.WEEKS and weeks[-1].posts == 1 and weeks[-1].members == 2
    assert sum(w.posts for w in weeks) == 2 and weeks[-4].posts + weeks[-5].posts == 1
    assert sum(w.posts for w in await activity.weekly_activity(group, public_only=False)) == 3
    page = (await web.client.get("/groups/climate")).text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img" aria-labelledby="activity-t activity-d"' in page
    assert "2 posts, 2 new members" in page
    table = page.split('<caption class="visually-hidden">Posts and new members per week</caption>', 1)[1].split("</tbody>", 1)[0]
    assert table.count("<tr>") == activity.WEEKS + 1 and table.rstrip().endswith("<td>1</td><td>2</td></tr>")


async def test_week_start_is_monday() -> None:
    """Weeks start on Monday 00:00."""
    moment = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # a Friday
    assert activity.week_start(moment) == datetime(2026, 11, 30, tzinfo=UTC)


async def test_visitor_without_an_account_is_offered_servers(web_factory) -> None:
    """The join section explains the fediverse and lists HUB_SUGGESTED_SERVERS to sign up on."""
    hub = await web_factory(HUB_SUGGESTED_SERVERS="social.coop, mastodon.green")
    await hub.group_with("climate")
    page = (await hub.client.get("/groups/climate")).text
    assert "No fediverse account yet?" in page
    assert '<a href="https://social.coop/" rel="noopener">social.coop</a>' in page and "mastodon.green" in page


def test_suggested_servers_setting() -> None:
    """HUB_SUGGESTED_SERVERS: host names, comma-separated; empty means none; anything else is refused naming the variable."""
    assert load_settings({"HUB_SUGGESTED_SERVERS": "a.example, B.example"}).suggested_servers == ("a.example", "b.example")
    assert load_settings({"HUB_SUGGESTED_SERVERS": ""}).suggested_servers == ()
    assert "mastodon.social" in load_settings({}).suggested_servers
    with pytest.raises(SettingsError, match="HUB_SUGGESTED_SERVERS"):
        load_settings({"HUB_SUGGESTED_SERVERS": "javascript:alert(1)"})


async def test_favicon(web) -> None:
    """/favicon.ico leads to the SVG icon every page links."""
    response = await web.client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["location"].endswith("/static/favicon.svg")
    assert (await web.client.get("/static/favicon.svg")).status_code == 200
    assert 'rel="icon"' in (await web.client.get("/")).text


async def test_activity_cache_reuses_counts_until_a_change_or_expiry(web) -> None:
    """Weekly counts are reused while fresh; a change made by this process or SECONDS passing rereads them."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    clock = [100.0]
    cache = ActivityCache(clock=lambda: clock[0])
    assert sum(w.posts for w in await cache.weeks(group, public_only=True)) == 0
    await Post.create(group=group, author=alice, uri="https://social.example/notes/quiet", object_type="Note",
                      thread_uri="https://social.example/notes/quiet", content_html="<p>quiet</p>", visibility="public",
                      state="published", published_at=now(), activity_json="{}")  # no domain event: another process's write
    assert sum(w.posts for w in await cache.weeks(group, public_only=True)) == 0
    clock[0] += SECONDS
    assert sum(w.posts for w in await cache.weeks(group, public_only=True)) == 1
    await post(group, alice, "Counted at once", n=2)
    changes.note("content")
    assert sum(w.posts for w in await cache.weeks(group, public_only=True)) == 2


async def test_search_looks_through_the_newest_posts_only(web, monkeypatch) -> None:
    """A text search reads rows, so it is bounded: only the newest SEARCH_WINDOW posts (before ?before=) are searched."""
    monkeypatch.setattr(posts_service, "SEARCH_WINDOW", 3)
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    for n in range(5):
        await post(group, alice, f"Needle {n}", n=n)
    found = await posts_service.recent_posts(group, text="needle")
    assert [p.content_html for p in found] == ["<p>Needle 4</p>", "<p>Needle 3</p>", "<p>Needle 2</p>"]
    older = await posts_service.recent_posts(group, text="needle", before_id=found[-1].id)
    assert [p.content_html for p in older] == ["<p>Needle 1</p>", "<p>Needle 0</p>"]
