"""Public pages: directory, group, thread, collaboration, about; content negotiation and escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.models import Post
from hub.services import moderation_log

pytestmark = pytest.mark.db


async def make_post(group, author, text: str, *, language: str | None = None, pinned: bool = False, days_ago: int = 0, **extra) -> Post:
    """A published public post in the group."""
    uri = f"https://social.example/notes/{abs(hash((text, group.slug)))}"
    return await Post.create(
        group=group, author=author, uri=uri, object_type="Note", thread_uri=extra.pop("thread_uri", uri),
        content_html=f"<p>{text}</p>", visibility=extra.pop("visibility", "public"), state=extra.pop("state", "published"),
        published_at=datetime.now(UTC) - timedelta(days=days_ago), activity_json="{}", language=language, pinned=pinned,
        **extra,
    )


async def test_home_lists_public_groups_with_counts_and_activity(web) -> None:
    """The directory shows public groups with member counts and recent activity, not private ones."""
    alice = await web.person("alice")
    climate = await web.group_with("climate", name="Climate Action", summary="Act now", role_of={alice: "member"})
    await web.group_with("secret", name="Secret Society", private=True)
    await make_post(climate, alice, "Rally on Saturday")
    page = await web.client.get("/")
    assert page.status_code == 200
    assert "Climate Action" in page.text and "Secret Society" not in page.text
    assert "1 member" in page.text
    assert "1 post this week" in page.text
    assert 'role="search"' in page.text


async def test_home_search(web) -> None:
    """The search box filters the directory by name, handle or summary."""
    await web.group_with("climate", name="Climate Action")
    await web.group_with("housing", name="Housing For All")
    page = await web.client.get("/", params={"q": "housing"})
    assert "Housing For All" in page.text and "Climate Action" not in page.text
    empty = await web.client.get("/", params={"q": "<script>"})
    assert "&lt;script&gt;" in empty.text and "<script>" not in empty.text.split("<main", 1)[1].split("</main>")[0]


async def test_group_page(web) -> None:
    """The group page shows about, rules, pinned and recent posts with author and home instance, handle and join form."""
    alice = await web.person("alice")
    group = await web.group_with("climate", name="Climate Action", summary="We **act**.", rules="Be kind", role_of={alice: "member"})
    await make_post(group, alice, "Pinned notice", pinned=True)
    await make_post(group, alice, "Hola a todos", language="es")
    page = await web.client.get("/groups/climate")
    assert page.status_code == 200
    text = page.text
    assert "<strong>act</strong>" in text and "Be kind" in text
    assert "@climate@127.0.0.1:8123" in text
    assert "@alice@social.example" in text
    assert "Pinned notice" in text and "Hola a todos" in text
    assert 'lang="es"' in text and "Language: Spanish" in text
    assert 'action="http://127.0.0.1:8123/groups/climate/join"' in text
    assert "feed.rss" in text and "feed.atom" in text
    assert "1 member" in text


async def test_group_page_negotiates_activity_json(web) -> None:
    """The same URL serves the Group actor to ActivityPub clients."""
    await web.group_with("climate")
    response = await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    assert response.json()["type"] == "Group"
    assert "Accept" in response.headers["vary"]


async def test_unknown_group_is_404(web) -> None:
    """An unknown group is a 404 page."""
    response = await web.client.get("/groups/nope")
    assert response.status_code == 404
    assert "There is no group with this name" in response.text


async def test_private_group_hides_posts(web) -> None:
    """A private group's page shows no posts."""
    alice = await web.person("alice")
    group = await web.group_with("secret", private=True, role_of={alice: "member"})
    await make_post(group, alice, "members only text", visibility="members")
    page = await web.client.get("/groups/secret")
    assert "members only text" not in page.text
    assert "visible to its members only" in page.text


async def test_thread_page(web) -> None:
    """A thread shows the post and its public replies, not removed ones."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    top = await make_post(group, alice, "Top post")
    await make_post(group, alice, "A reply", thread_uri=top.uri, in_reply_to=top.uri)
    await make_post(group, alice, "Removed reply", thread_uri=top.uri, state="removed")
    page = await web.client.get(f"/posts/{top.id}")
    assert page.status_code == 200
    assert "Top post" in page.text and "A reply" in page.text and "Removed reply" not in page.text
    assert (await web.client.get("/posts/99999")).status_code == 404


async def test_about_page(web) -> None:
    """The about page shows rules, contact and the software version."""
    await web.admin()
    page = await web.client.get("/about")
    assert page.status_code == 200
    assert "Rules" in page.text and "admin" in page.text and "Causeway 0.1.0" in page.text


async def test_pages_have_landmarks_and_security_headers(web) -> None:
    """Every page has a main landmark, a skip link, a language, and the CSP without inline script."""
    await web.group_with("climate")
    for path in ("/", "/about", "/groups/climate", "/login"):
        page = await web.client.get(path)
        assert page.status_code == 200, path
        assert '<main id="main"' in page.text and 'class="skip"' in page.text and '<html lang="en" dir="ltr">' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and " style=" not in page.text


async def test_user_text_is_escaped(web) -> None:
    """Names, summaries and handles from organisers and remote servers cannot inject markup."""
    evil = await web.person("mallory")
    evil.display_name = '<img src=x onerror="alert(1)">'
    await evil.save()
    group = await web.group_with("climate", name="<script>alert(1)</script>", summary="<b onclick=x>hi</b>", role_of={evil: "member"})
    await make_post(group, evil, "hello")
    home = await web.client.get("/")
    page = await web.client.get("/groups/climate")
    for text in (home.text, page.text):
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert '<img src=x onerror="alert(1)">' not in page.text
    assert "<b onclick" not in page.text


async def test_unknown_paths_get_a_page(web) -> None:
    """Unknown addresses and wrong methods answer with a readable page."""
    missing = await web.client.get("/nowhere")
    assert missing.status_code == 404 and "There is no page at this address." in missing.text
    wrong = await web.client.delete("/")
    assert wrong.status_code == 405


async def test_moderation_log_is_public_for_public_groups_without_reporters(web) -> None:
    """The public log lists actions with reasons, never reporters; a members-only group's log is not public."""
    climate = await web.group_with("climate", name="Climate Action")
    await web.group_with("secret", name="Secret Society", private=True)
    await moderation_log.record("remove_post", "https://social.example/notes/9", group=climate, by=None, reason="spam link")
    await moderation_log.record("report_resolved", "https://reporter.example/users/rita", group=climate, by=None, reason="handled")
    page = await web.client.get("/groups/climate/moderation")
    assert page.status_code == 200
    assert "remove_post" in page.text and "spam link" in page.text
    assert "rita" not in page.text
    assert (await web.client.get("/groups/secret/moderation")).status_code == 404


async def test_relayed_post_says_which_group_it_came_from(web) -> None:
    """A post relayed from a followed group shows that group on the group page and the thread page."""
    alice = await web.person("alice")
    berlin = await web.person("berlin")
    lisbon = await web.group_with("lisbon", name="Lisbon Housing")
    post = await make_post(lisbon, alice, "Tenant assembly tonight", via=berlin)
    page = await web.client.get("/groups/lisbon")
    assert "Tenant assembly tonight" in page.text and "shared from berlin@" in page.text
    thread = await web.client.get(f"/posts/{post.id}")
    assert "shared from berlin@" in thread.text


async def test_links_use_the_hubs_scheme_behind_a_tls_proxy(web_factory) -> None:
    """Under HUB_SCHEME=https the proxy forwards plain http; the page still links https (no mixed content)."""
    hub = await web_factory(HUB_SCHEME="https")
    page = await hub.client.get("/")
    assert 'href="https://127.0.0.1:8123/static/causeway.css"' in page.text and "http://127.0.0.1:8123/" not in page.text


async def test_members_only_posts_show_to_signed_in_members_and_nobody_else(web) -> None:
    """A private group's members-only post: on its page and thread page for a signed-in accepted member only.

    Everyone else sees neither: anonymous visitors, signed-in non-members, pending, banned and former
    members, members of another group, and an instance admin who is not a member (admins moderate
    from the console's posts page, which is not a reading room).
    """
    from hub.models import Membership

    people = {name: await web.person(name) for name in ("alice", "carol", "dave", "erin", "fay", "frank")}
    secret = await web.group_with("secret", name="Secret Society", private=True, role_of={people["alice"]: "member"})
    other = await web.group_with("other", name="Other Group", private=True, role_of={people["frank"]: "member"})
    for name, state in (("dave", "pending"), ("erin", "banned"), ("fay", "left")):
        await Membership.create(group=secret, account=people[name], state=state)
    post = await make_post(secret, people["alice"], "Members-only plan", visibility="members")
    await make_post(other, people["frank"], "Other group's plan", visibility="members")
    admin = await web.admin()
    pages = ("/groups/secret", f"/posts/{post.id}")

    async def sees(account) -> list[bool]:
        web.client.cookies.clear()
        if account is not None:
            await web.sign_in(account)
        return [("Members-only plan" in (await web.client.get(path)).text) for path in pages]

    assert await sees(people["alice"]) == [True, True]
    assert (await web.client.get(f"/posts/{post.id}")).status_code == 200
    for who in (None, people["carol"], people["dave"], people["erin"], people["fay"], people["frank"], admin):
        assert await sees(who) == [False, False], who
        assert (await web.client.get(f"/posts/{post.id}")).status_code == 404
    # The member does not read another private group's posts either
    await sees(people["alice"])
    assert "Other group's plan" not in (await web.client.get("/groups/other")).text


async def test_followers_only_posts_of_a_public_group_show_to_its_members_only(web) -> None:
    """A public group's members-only post: its members read it on the group page, visitors and others do not."""
    alice, carol = await web.person("alice"), await web.person("carol")
    open_group = await web.group_with("climate", name="Climate", role_of={alice: "member"})
    await make_post(open_group, alice, "Public rally")
    hidden = await make_post(open_group, alice, "Followers-only note", visibility="members")
    for who, shown in ((None, False), (carol, False), (alice, True)):
        web.client.cookies.clear()
        if who is not None:
            await web.sign_in(who)
        page = (await web.client.get("/groups/climate")).text
        assert "Public rally" in page and ("Followers-only note" in page) is shown, who
        assert ((await web.client.get(f"/posts/{hidden.id}")).status_code == 200) is shown, who


async def test_a_deleted_groups_pages_and_actor_answer_410(web) -> None:
    """After deletion the group's page, actor and collections answer 410 Gone; WebFinger no longer finds it."""
    from hub.services import group_settings

    group = await web.group_with("climate", name="Climate Action")
    await group_settings.delete_group(group, by=None, notice="deleted")
    page = await web.client.get("/groups/climate")
    assert page.status_code == 410 and "deleted" in page.text
    actor = await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})
    assert actor.status_code == 410
    for path in ("/groups/climate/outbox", "/groups/climate/followers", "/groups/climate/featured"):
        assert (await web.client.get(path, headers={"Accept": "application/activity+json"})).status_code == 410, path
    for path in ("/groups/climate/moderation", "/groups/climate/campaigns", "/groups/climate/feed.atom"):
        assert (await web.client.get(path)).status_code == 410, path
    finger = await web.client.get("/.well-known/webfinger", params={"resource": "acct:climate@127.0.0.1:8123"})
    assert finger.status_code == 404
    assert "Climate Action" not in (await web.client.get("/")).text
