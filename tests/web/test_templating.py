"""The templates' memoised parts: url_for (Starlette's paths, on the hub's own base URL) and the site's header and footer."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.web.conftest import CSRF_RE
from web.templating import RouteCache


def _request(app: Starlette, host: str) -> Request:
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "scheme": "http", "root_path": "",
             "server": (host, 80), "headers": [(b"host", host.encode())], "router": app.router, "app": app}
    return Request(scope)


def test_route_cache_builds_request_url_for_paths_on_the_hubs_base_url() -> None:
    """The paths request.url_for builds, for several routes and parameters, cached or not, always on the
    hub's base URL (scheme and host), whatever Host header and scheme the request came with."""
    app = Starlette(routes=[Route("/groups/{slug}", lambda r: Response(), name="group"),
                            Route("/posts/{post_id:int}", lambda r: Response(), name="thread")])
    cache = RouteCache("https://hub.test")
    for host in ("hub.test", "evil.test"):
        request = _request(app, host)
        for _ in range(2):
            group, thread = cache.url_for(request, "group", {"slug": "climate"}), cache.url_for(request, "thread", {"post_id": 7})
            assert group.path == request.url_for("group", slug="climate").path
            assert thread.path == request.url_for("thread", post_id=7).path
            assert (str(group), str(thread)) == ("https://hub.test/groups/climate", "https://hub.test/posts/7")
    assert str(cache.url_for(_request(app, "hub.test"), "group", {"slug": "housing"})) == "https://hub.test/groups/housing"


@pytest.mark.db
async def test_the_kept_header_and_footer_follow_the_language_the_reader_and_the_page(web) -> None:
    """web.templating.SiteFrame keeps the site's header and footer: each language gets its own words, each reader
    their own name and sign-out token, each page language links that come back to it."""
    alice, bob = await web.person("alice"), await web.person("bob")
    await web.group_with("climate", name="Climate", role_of={alice: "member", bob: "member"})

    def header(page: httpx.Response) -> str:
        return page.text.split('<header class="site">', 1)[1].split("</header>", 1)[0]

    def footer(page: httpx.Response) -> str:
        return page.text.split('<footer class="site">', 1)[1].split("</footer>", 1)[0]

    english = await web.client.get("/about")
    german = await web.client.get("/about", headers={"Accept-Language": "de"})
    assert ">Sign in<" in header(english) and ">Anmelden<" in header(german) and ">Sign in<" not in header(german)
    group_page = await web.client.get("/groups/climate")
    assert "next=/about" in footer(english) and "next=/groups/climate" in footer(group_page)
    assert "next=/about" not in footer(group_page)

    await web.sign_in(alice)
    as_alice = await web.client.get("/groups/climate")
    assert "Sign out alice@" in header(as_alice)
    assert set(CSRF_RE.findall(header(as_alice))) == set(CSRF_RE.findall(as_alice.text)) and "csrf-placeholder" not in as_alice.text
    web.client.cookies.clear()
    await web.sign_in(bob)
    as_bob = await web.client.get("/groups/climate")
    assert "Sign out bob@" in header(as_bob) and "alice@" not in header(as_bob)
    assert CSRF_RE.findall(header(as_bob)) != CSRF_RE.findall(header(as_alice))
