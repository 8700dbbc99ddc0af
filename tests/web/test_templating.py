"""The memoised url_for of the templates: Starlette's paths, on the hub's own base URL."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
