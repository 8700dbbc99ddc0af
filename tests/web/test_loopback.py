"""web.loopback: a hub on loopback answers other loopback names of its port with a redirect to HUB_DOMAIN."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hub.settings import load_settings
from web.loopback import LoopbackAliases


def client_for(domain: str) -> httpx.AsyncClient:
    """A client for a one-route app behind the middleware, for a hub known as ``domain``."""

    async def echo(request):
        return PlainTextResponse(f"{request.method} {request.url.path} served")

    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "HEAD", "POST"])])
    wrapped = LoopbackAliases(app, settings=load_settings({"HUB_DOMAIN": domain}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://test")


@pytest.mark.parametrize("host", ["localhost:8000", "LOCALHOST:8000", "hub.localhost:8000", "127.0.0.2:8000", "[::1]:8000"])
async def test_other_loopback_names_redirect_to_the_domain(host: str) -> None:
    """GET by another loopback name of the same port: 307 to the same path and query on HUB_DOMAIN."""
    response = await client_for("127.0.0.1:8000").get("/login?next=/console", headers={"host": host})
    assert response.status_code == 307
    assert response.headers["location"] == "http://127.0.0.1:8000/login?next=/console"


async def test_the_domain_itself_is_served() -> None:
    """The canonical name is never redirected."""
    response = await client_for("127.0.0.1:8000").get("/", headers={"host": "127.0.0.1:8000"})
    assert response.status_code == 200 and response.text == "GET / served"


@pytest.mark.parametrize("host", ["localhost:8001", "localhost", "hub.example:8000", "10.0.0.1:8000"])
async def test_other_ports_and_public_names_are_left_alone(host: str) -> None:
    """Another port is another server, and names that are not loopback are not ours to rewrite."""
    assert (await client_for("127.0.0.1:8000").get("/", headers={"host": host})).status_code == 200


async def test_posts_are_not_redirected() -> None:
    """Only GET and HEAD are redirected; a POST is answered where it was sent (its checks decide)."""
    assert (await client_for("127.0.0.1:8000").post("/inbox", headers={"host": "localhost:8000"})).status_code == 200


async def test_works_the_other_way_round() -> None:
    """A hub known as localhost:8000 sends 127.0.0.1:8000 visitors to localhost:8000."""
    response = await client_for("localhost:8000").get("/groups/climate", headers={"host": "127.0.0.1:8000"})
    assert response.status_code == 307 and response.headers["location"] == "http://localhost:8000/groups/climate"


async def test_hubs_with_a_public_name_never_redirect() -> None:
    """HUB_DOMAIN=hub.example: a request naming localhost is passed on untouched."""
    assert (await client_for("hub.example").get("/", headers={"host": "localhost"})).status_code == 200
