"""Signed-in members' group and thread pages share one rendering of their main part per view, language and
time zone: each member still gets their own name and CSRF token, members-only posts never reach other
views, local changes show at once and other processes' changes within a second."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest

from hub import changes
from hub.models import Group, Post
from hub.services import posts
from hub.services.posts import PostDraft
from tests.web.conftest import CSRF_RE, HUB_BASE
from tests.web.test_pages import make_post
from web import pages
from web.fragments import FragmentCache

pytestmark = pytest.mark.db


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of the group pages whose main part was rendered (not taken from the fragment cache)."""
    seen: list[str] = []
    real = pages._group_context

    async def counted(request, group, member, public):
        seen.append(group.slug)
        return await real(request, group, member, public)

    monkeypatch.setattr(pages, "_group_context", counted)
    return seen


async def test_two_members_share_a_rendering_with_their_own_name_and_token(web, renders: list[str]) -> None:
    """Alice and Bob read the group page: one rendering of its main part, each page names its reader and carries
    the reader's own CSRF token, which the reader's join form accepts and the other's session refuses."""
    alice, bob = await web.person("alice"), await web.person("bob")
    group = await web.group_with("climate", name="Climate", role_of={alice: "member", bob: "member"})
    await make_post(group, alice, "Members-only note", visibility="members")
    other = httpx.AsyncClient(transport=web.client._transport, base_url=HUB_BASE)
    async with other:
        await web.sign_in(bob)
        web.client, bobs_client = other, web.client
        await web.sign_in(alice)
        web.client = bobs_client
        first, second = await web.client.get("/groups/climate"), await other.get("/groups/climate")
    assert first.status_code == second.status_code == 200 and renders == ["climate"]
    assert "Members-only note" in first.text and "Members-only note" in second.text
    assert "Sign out bob@" in first.text and "Sign out alice@" in second.text and "alice@" not in first.text.split("<main")[0]
    tokens = [CSRF_RE.findall(page.text) for page in (first, second)]
    assert len(set(tokens[0])) == 1 and len(set(tokens[1])) == 1 and tokens[0][0] != tokens[1][0]
    assert "csrf-placeholder" not in first.text + second.text
    web.remote.person("carol")
    refused = await web.client.post("/groups/climate/join", data={"csrf_token": tokens[1][0], "handle": "@carol@social.example"})
    accepted = await web.client.post("/groups/climate/join", data={"csrf_token": tokens[0][0], "handle": "@carol@social.example"})
    assert refused.status_code == 403 and accepted.status_code == 303


async def test_other_views_never_get_the_members_rendering(web, renders: list[str]) -> None:
    """After a member's page was rendered, a signed-in non-member and an anonymous visitor do not see members-only posts."""
    alice, carol = await web.person("alice"), await web.person("carol")
    group = await web.group_with("climate", name="Climate", role_of={alice: "member"})
    await make_post(group, alice, "Members-only note", visibility="members")
    await make_post(group, alice, "Public note")
    await web.sign_in(alice)
    assert "Members-only note" in (await web.client.get("/groups/climate")).text
    web.client.cookies.clear()
    await web.sign_in(carol)
    page = (await web.client.get("/groups/climate")).text
    assert "Public note" in page and "Members-only note" not in page
    web.client.cookies.clear()
    page = (await web.client.get("/groups/climate?fresh=1")).text
    assert "Public note" in page and "Members-only note" not in page
    assert renders == ["climate", "climate"]  # the members' view, then the public view Carol and the visitor share


async def test_a_post_made_here_shows_at_once_on_group_and_thread_pages(web) -> None:
    """A post submitted through the domain service (it records an event) is on the next signed-in page."""
    alice = await web.person("alice")
    group = await web.group_with("climate", name="Climate", role_of={alice: "member"})
    head = await make_post(group, alice, "The first post")
    await web.sign_in(alice)
    assert "The first post" in (await web.client.get("/groups/climate")).text
    assert "No replies yet" in (await web.client.get(f"/posts/{head.id}")).text
    uri = "https://social.example/notes/reply"
    await posts.submit(group, alice, PostDraft(
        uri=uri, activity_uri=f"{uri}/activity", object_type="Note", visibility="public", content_html="<p>A reply</p>",
        published_at=datetime.now(UTC), activity_json="{}", in_reply_to=head.uri,
    ))
    assert "A reply" in (await web.client.get("/groups/climate")).text
    assert "A reply" in (await web.client.get(f"/posts/{head.id}")).text


async def test_a_change_made_elsewhere_shows_within_a_second(web) -> None:
    """A change by another process (here: straight into the database) shows once the rendering is a second old."""
    clock = Clock()
    web.app.state.fragments = FragmentCache(clock=clock)
    alice = await web.person("alice")
    group = await web.group_with("climate", name="Climate", role_of={alice: "member"})
    post = await make_post(group, alice, "Before")
    await web.sign_in(alice)
    assert "Before" in (await web.client.get("/groups/climate")).text
    await Post.filter(id=post.id).update(content_html="<p>After</p>")
    clock.t += 0.9
    assert "Before" in (await web.client.get("/groups/climate")).text
    clock.t += 0.1
    assert "After" in (await web.client.get("/groups/climate")).text


async def test_the_group_settings_change_shows_at_once(web) -> None:
    """A group saved by another process changes its ``updated_at``, which is part of the rendering's key."""
    alice = await web.person("alice")
    await web.group_with("climate", name="Climate", summary="Old summary", role_of={alice: "member"})
    await web.sign_in(alice)
    assert "Old summary" in (await web.client.get("/groups/climate")).text
    found = await Group.get(slug="climate")
    found.summary = "New summary"
    await found.save()
    assert "New summary" in (await web.client.get("/groups/climate")).text


class Visitor:
    """What FragmentCache.get reads of a request (parts here carry no CSRF placeholder)."""

    def __init__(self) -> None:
        self.state = SimpleNamespace()


def slow_render(calls: list[str], text: str, gate: asyncio.Event, *, fail: bool = False):
    async def render() -> str:
        calls.append(text)
        await gate.wait()
        if fail:
            raise RuntimeError("the database went away")
        return text
    return render


async def test_requests_arriving_together_share_one_rendering() -> None:
    """Eight requests for a part nobody has: one rendering, eight answers (no database needed)."""
    cache, calls, gate = FragmentCache(clock=Clock()), [], asyncio.Event()
    waiting = [asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "v1", gate))) for _ in range(8)]
    await asyncio.sleep(0)
    gate.set()
    assert [str(part) for part in await asyncio.gather(*waiting)] == ["v1"] * 8 and calls == ["v1"]


async def test_an_aged_part_is_served_while_one_request_renders_it_again() -> None:
    """After the part's second is up, one request renders it; the others meanwhile get the copy it replaces."""
    clock = Clock()
    cache, calls, gate = FragmentCache(clock=clock), [], asyncio.Event()
    gate.set()
    assert str(await cache.get(Visitor(), "part", slow_render(calls, "v1", gate))) == "v1"
    clock.t += 5
    gate.clear()
    renewing = asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "v2", gate)))
    await asyncio.sleep(0)
    assert str(await cache.get(Visitor(), "part", slow_render(calls, "other", gate))) == "v1"
    gate.set()
    assert str(await renewing) == "v2" and calls == ["v1", "v2"]


async def test_a_local_change_is_never_answered_with_the_older_copy() -> None:
    """A change made here while a rendering runs: the next request renders afresh instead of sharing it."""
    cache, calls, gate = FragmentCache(clock=Clock()), [], asyncio.Event()
    first = asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "before", gate)))
    await asyncio.sleep(0)
    changes.note("content")
    second = asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "after", gate)))
    await asyncio.sleep(0)
    gate.set()
    assert (str(await first), str(await second)) == ("before", "after") and calls == ["before", "after"]


async def test_a_failed_rendering_lets_the_waiting_requests_render_for_themselves() -> None:
    """The rendering request's error is its own: the request that waited renders the part itself."""
    cache, calls, gate = FragmentCache(clock=Clock()), [], asyncio.Event()
    failing = asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "broken", gate, fail=True)))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(cache.get(Visitor(), "part", slow_render(calls, "mine", gate)))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(RuntimeError):
        await failing
    assert str(await waiting) == "mine" and calls == ["broken", "mine"]
