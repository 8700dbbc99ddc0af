"""The anonymous page cache: one rendering a second for visitors not signed in, their own CSRF token each,
local changes shown at once, other processes' changes within the second, signed-in members always fresh."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.responses import HTMLResponse, Response

from hub import changes
from hub.models import Group
from hub.services import profiles
from tests.web.conftest import CSRF_RE, HUB_BASE
from web import pages
from web.pagecache import PageCache

pytestmark = pytest.mark.db


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of the group pages rendered (not served from the cache)."""
    seen: list[str] = []
    real = pages.group_page

    async def counted(request, group, **kwargs):
        seen.append(group.slug)
        return await real(request, group, **kwargs)

    monkeypatch.setattr(pages, "group_page", counted)
    return seen


async def test_visitors_share_a_rendering_and_each_gets_their_own_working_csrf_token(web, renders: list[str]) -> None:
    """Two anonymous visitors: one rendering, two different tokens, each accepted by the join form with its own session."""
    await web.group_with("climate")
    web.remote.person("alice")
    other = httpx.AsyncClient(transport=web.client._transport, base_url=HUB_BASE)
    async with other:
        first, second = await web.client.get("/groups/climate"), await other.get("/groups/climate")
        assert first.status_code == second.status_code == 200 and renders == ["climate"]
        tokens = [CSRF_RE.search(r.text).group(1) for r in (first, second)]
        assert tokens[0] != tokens[1] and "csrf-placeholder" not in first.text + second.text
        for client, token in ((web.client, tokens[0]), (other, tokens[1])):
            answer = await client.post("/groups/climate/join", data={"csrf_token": token, "handle": "@alice@social.example"})
            assert answer.status_code == 303
        swapped = await other.post("/groups/climate/join", data={"csrf_token": tokens[0], "handle": "@alice@social.example"})
        assert swapped.status_code == 403


async def test_a_change_made_here_shows_at_once(web, renders: list[str]) -> None:
    """A domain change in this process (it records an event) makes the next visitor's page fresh."""
    group = await web.group_with("climate", name="Climate")
    assert "Climate" in (await web.client.get("/groups/climate")).text
    await profiles.update_profile(group, by=None, name="Climate Action", summary="", rules="", join_policy="open",
                                  posting_mode="members")
    assert "Climate Action" in (await web.client.get("/groups/climate")).text and renders == ["climate", "climate"]


async def test_a_change_made_elsewhere_shows_within_a_second(web, renders: list[str]) -> None:
    """A change by another process (here: straight into the database) shows once the copy is a second old."""
    clock = Clock()
    web.app.state.page_cache = PageCache(clock=clock)
    await web.group_with("climate", name="Climate")
    await web.client.get("/groups/climate")
    await Group.filter(slug="climate").update(name="Renamed elsewhere")
    clock.t += 0.9
    assert "Renamed elsewhere" not in (await web.client.get("/groups/climate")).text
    clock.t += 0.1
    assert "Renamed elsewhere" in (await web.client.get("/groups/climate")).text
    assert renders == ["climate", "climate"]


async def test_signed_in_members_and_activitypub_clients_always_get_it_fresh(web, renders: list[str]) -> None:
    """Signed-in visitors bypass the cache, so do ActivityPub requests and other query strings."""
    await web.group_with("climate", name="Climate")
    await web.client.get("/groups/climate")
    await Group.filter(slug="climate").update(name="Renamed elsewhere")
    assert "Renamed elsewhere" in (await web.client.get("/groups/climate?page=2")).text
    actor = await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})
    assert actor.json()["name"] == "Renamed elsewhere"
    await web.sign_in(await web.admin())
    page = await web.client.get("/groups/climate")
    assert "Renamed elsewhere" in page.text and "Sign out" in page.text
    assert renders == ["climate", "climate", "climate"]


async def test_a_forged_host_header_never_reaches_other_visitors(web, renders: list[str]) -> None:
    """Links are built on the hub's base URL, so a forged Host changes nothing in the shared page."""
    await web.group_with("climate")
    forged = await web.client.get("/groups/climate", headers={"Host": "evil.example"})
    page = await web.client.get("/groups/climate")
    assert "evil.example" not in forged.text + page.text and "http://127.0.0.1:8123/groups/climate" in page.text
    assert renders == ["climate"]


async def test_missing_group_is_not_cached(web, renders: list[str]) -> None:
    """A 404 is rendered each time (the group may be created a moment later)."""
    assert (await web.client.get("/groups/later")).status_code == 404
    await web.group_with("later")
    assert (await web.client.get("/groups/later")).status_code == 200


async def test_while_one_request_renders_the_others_get_the_previous_copy() -> None:
    """An expired page is rendered by one request; concurrent ones are served the previous copy meanwhile."""
    clock = Clock()
    cache = PageCache(clock=clock)
    release = asyncio.Event()
    calls: list[int] = []

    async def render() -> Response:
        calls.append(1)
        if len(calls) == 2:
            await release.wait()
        return HTMLResponse(f"<p>version {len(calls)}</p>")

    key = ("/groups/a", "", "en")
    assert (await cache.get(key, render)).body == b"<p>version 1</p>"
    clock.t += 1.0
    slow = asyncio.create_task(cache.get(key, render))
    await asyncio.sleep(0)
    assert (await cache.get(key, render)).body == b"<p>version 1</p>"
    release.set()
    assert (await slow).body == b"<p>version 2</p>"
    assert (await cache.get(key, render)).body == b"<p>version 2</p>" and len(calls) == 2


async def test_cache_keeps_at_most_size_pages_and_forgets_on_local_change() -> None:
    """Least recently used pages go first; a local content change makes every copy stale."""
    cache = PageCache(size=2)

    async def render() -> Response:
        return HTMLResponse("page")

    for path in ("/a", "/b", "/c"):
        await cache.get((path, "", "en"), render)
    assert cache.fresh(("/a", "", "en")) is None and cache.fresh(("/c", "", "en")) is not None
    changes.note("content")
    assert cache.fresh(("/c", "", "en")) is None
