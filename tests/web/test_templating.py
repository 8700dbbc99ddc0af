"""The memoised url_for of the templates builds exactly what Starlette's request.url_for builds."""

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


def test_route_cache_matches_request_url_for() -> None:
    """Same absolute URLs as request.url_for for several routes and parameters, on two hosts, cached or not."""
    app = Starlette(routes=[Route("/groups/{slug}", lambda r: Response(), name="group"),
                            Route("/posts/{post_id:int}", lambda r: Response(), name="thread")])
    cache = RouteCache()
    for host in ("hub.test", "other.test"):
        request = _request(app, host)
        for _ in range(2):
            assert str(cache.url_for(request, "group", {"slug": "climate"})) == str(request.url_for("group", slug="climate"))
            assert str(cache.url_for(request, "thread", {"post_id": 7})) == str(request.url_for("thread", post_id=7))
    assert str(cache.url_for(_request(app, "hub.test"), "group", {"slug": "housing"})) == "http://hub.test/groups/housing"
