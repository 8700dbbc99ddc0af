"""Tests for federation.fetch: content types, host comparison, redirects, the id rule and caps."""

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest
from aiohttp import web

from federation.errors import FetchError, OriginError, ResponseTooLarge, UnsafeAddressError
from federation.fetch import (
    ACCEPT_ACTIVITY,
    FetchStatusError,
    GoneError,
    check_depth,
    fetch_document,
    fetch_json,
    host_of,
    is_activitystreams,
    is_json,
    same_host,
)
from federation.net import AddressPolicy, build_client
from tests.federation.test_net import StaticResolver, serve

AS2 = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

Route = httpx.Response | Callable[[httpx.Request], httpx.Response]


class Peers:
    """A mock network: URL -> response, recording every request that reached it."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer from the route table, 404 otherwise."""
        self.requests.append(request)
        route = self.routes.get(str(request.url), httpx.Response(404))
        return route(request) if callable(route) else route

    @property
    def urls(self) -> list[str]:
        """The URLs requested, in order."""
        return [str(r.url) for r in self.requests]

    def client(self, **kwargs) -> httpx.AsyncClient:
        """A guarded client over this mock network."""
        return build_client(AddressPolicy(), transport=httpx.MockTransport(self), user_agent="t", **kwargs)


def doc(id_: str, content_type: str = AS2, **extra) -> httpx.Response:
    """An ActivityStreams response whose document has the given id."""
    body = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": id_, "type": "Person", **extra})
    return httpx.Response(200, headers={"Content-Type": content_type}, content=body.encode())


def raw(body: bytes, content_type: str = AS2, status: int = 200) -> httpx.Response:
    """A response with an arbitrary body."""
    return httpx.Response(status, headers={"Content-Type": content_type}, content=body)


def redirect(location: str, status: int = 301) -> httpx.Response:
    """A redirect to ``location``."""
    return httpx.Response(status, headers={"Location": location})


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (AS2, True),
        ("Application/Activity+JSON; charset=utf-8", True),
        (LD, True),
        ("application/ld+json;profile=https://www.w3.org/ns/activitystreams", True),
        ('application/ld+json; charset=utf-8; profile="https://www.w3.org/ns/activitystreams"', True),
        ('application/ld+json; profile="https://example.org/p https://www.w3.org/ns/activitystreams"', True),
        ("application/ld+json", False),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams/evil"', False),
        ('application/ld+json; x="profile=https://www.w3.org/ns/activitystreams"', False),
        ("application/json", False),
        ("text/html", False),
        ("", False),
        (None, False),
    ],
)
def test_is_activitystreams(content_type: str | None, expected: bool) -> None:
    """Only activity+json and ld+json with the AS2 profile (among others, quoted or not) count."""
    assert is_activitystreams(content_type) is expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [("application/json", True), ("application/jrd+json; charset=utf-8", True), (AS2, True),
     ("text/html", False), ("text/plain", False), (None, False)],
)
def test_is_json(content_type: str | None, expected: bool) -> None:
    """JSON and every +json media type count as JSON."""
    assert is_json(content_type) is expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Bücher.Example./a?b=1", "xn--bcher-kva.example"),
        ("https://EXAMPLE.com:443/x", "example.com"),
        ("http://example.com:80", "example.com"),
        ("http://example.com:443/", "example.com:443"),
        ("https://example.com:8443/", "example.com:8443"),
        ("http://[::1]:80/", "[::1]"),
        ("http://[0:0::1]:8080/", "[::1]:8080"),
        ("http://2130706433/", "127.0.0.1"),
        ("https://a.example@evil.test/", "evil.test"),
    ],
)
def test_host_of_normalises(url: str, host: str) -> None:
    """host_of lowercases, IDNA-encodes, strips the trailing dot and default ports."""
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://a.example/x", "https://A.EXAMPLE./y", True),
        ("http://a.example/x", "https://a.example/y", True),
        ("https://a.example/", "https://a.example.evil.test/", False),
        ("https://a.example/", "https://evil.test/a.example", False),
        ("https://a.example/", "https://a.example:8443/", False),
        ("https://a.example/", "urn:uuid:1", False),
        ("https://a.example/", "not a url", False),
    ],
)
def test_same_host(a: str, b: str, expected: bool) -> None:
    """Hosts are compared after parsing, never by prefix; unparseable URLs never match."""
    assert same_host(a, b) is expected


def test_host_of_refuses_non_http() -> None:
    """A URL without an http(s) host is an OriginError."""
    with pytest.raises(OriginError):
        host_of("mailto:a@example.com")


def test_depth_check_is_iterative_and_ignores_strings() -> None:
    """64 levels pass, 65 fail, 100k fail fast; brackets inside strings don't count."""
    check_depth(b"[" * 64 + b"]" * 64)
    with pytest.raises(FetchError):
        check_depth(b"[" * 65 + b"]" * 65)
    started = time.monotonic()
    with pytest.raises(FetchError):
        check_depth(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    assert time.monotonic() - started < 1
    check_depth(json.dumps({"a": "[" * 1000, "b": '\\"[[[[' * 100}).encode())


async def test_fetch_document_returns_the_document_when_id_matches() -> None:
    """A matching id is returned as is, requested with the AS2 Accept header."""
    peers = Peers({"https://remote.example/users/alice": doc("https://remote.example/users/alice", LD)})
    async with peers.client() as client:
        document = await fetch_document(client, "https://remote.example/users/alice")
    assert document["id"] == "https://remote.example/users/alice"
    assert peers.requests[0].headers["Accept"] == ACCEPT_ACTIVITY


async def test_wrong_content_type_is_refused() -> None:
    """HTML or plain JSON is not an ActivityStreams document."""
    url = "https://remote.example/users/alice"
    for content_type in ("text/html", "application/json", "application/ld+json"):
        peers = Peers({url: doc(url, content_type)})
        async with peers.client() as client:
            with pytest.raises(FetchError, match="not an ActivityStreams document"):
                await fetch_document(client, url)


async def test_id_mismatch_is_refetched_from_the_id() -> None:
    """A document whose id differs is fetched again from its id on the same host."""
    alias, canonical = "https://remote.example/@alice", "https://remote.example/users/alice"
    peers = Peers({alias: doc(canonical, name="stale"), canonical: doc(canonical, name="fresh")})
    async with peers.client() as client:
        document = await fetch_document(client, alias)
    assert document["name"] == "fresh"
    assert peers.urls == [alias, canonical]


async def test_refetched_document_must_carry_its_own_id() -> None:
    """If the id's own document claims yet another id, the fetch fails with OriginError."""
    a, b, c = ("https://remote.example/a", "https://remote.example/b", "https://remote.example/c")
    peers = Peers({a: doc(b), b: doc(c), c: doc(c)})
    async with peers.client() as client:
        with pytest.raises(OriginError):
            await fetch_document(client, a)
    assert peers.urls == [a, b]


async def test_id_on_another_host_is_refused_without_fetching_it() -> None:
    """A document claiming an id on another host is an OriginError; that host is not contacted."""
    url = "https://evil.example/users/alice"
    peers = Peers({url: doc("https://victim.example/users/alice"),
                   "https://victim.example/users/alice": doc("https://victim.example/users/alice")})
    async with peers.client() as client:
        with pytest.raises(OriginError):
            await fetch_document(client, url)
    assert peers.urls == [url]


@pytest.mark.parametrize("claimed", [["x"], 7, None])
async def test_document_without_string_id_is_refused(claimed: object) -> None:
    """An id that is missing or not a string makes the document unusable."""
    url = "https://remote.example/o"
    peers = Peers({url: raw(json.dumps({"id": claimed}).encode())})
    async with peers.client() as client:
        with pytest.raises(FetchError, match="no id"):
            await fetch_document(client, url)


async def test_redirect_to_another_host_is_refused() -> None:
    """A redirect may not move a document to another host."""
    url = "https://remote.example/users/alice"
    peers = Peers({url: redirect("https://evil.example/users/alice"),
                   "https://evil.example/users/alice": doc(url)})
    async with peers.client() as client:
        with pytest.raises(OriginError):
            await fetch_document(client, url)
    assert peers.urls == [url]


async def test_redirect_on_the_same_host_is_followed_and_signed_again() -> None:
    """A relative same-host redirect is followed; the final URL counts as the id; each hop is signed."""
    url, final = "https://remote.example/@alice", "https://remote.example/users/alice"
    peers = Peers({url: redirect("/users/alice", 302), final: doc(final)})

    def sign(request: httpx.Request) -> None:
        request.headers["Signature"] = f"signed {request.url.path}"

    async with peers.client() as client:
        document = await fetch_document(client, url, sign=sign)
    assert document["id"] == final
    assert peers.urls == [url, final]
    assert [r.headers["Signature"] for r in peers.requests] == ["signed /@alice", "signed /users/alice"]


async def test_redirect_limits() -> None:
    """More than max_redirects hops, a missing Location, or https to http all fail."""
    loop = {f"https://remote.example/{i}": redirect(f"/{i + 1}") for i in range(5)}
    peers = Peers({**loop, "https://remote.example/5": doc("https://remote.example/5"),
                   "https://remote.example/bare": httpx.Response(301),
                   "https://remote.example/down": redirect("http://remote.example/x")})
    async with peers.client() as client:
        with pytest.raises(FetchError, match="redirects"):
            await fetch_document(client, "https://remote.example/0")
        assert (await fetch_document(client, "https://remote.example/2"))["id"].endswith("/5")
        for path in ("bare", "down"):
            with pytest.raises(FetchError):
                await fetch_document(client, f"https://remote.example/{path}")


async def test_unsafe_destination_is_refused_through_fetch() -> None:
    """Private literals and names resolving to private addresses never reach the network."""
    peers = Peers({"https://rebind.example/a": doc("https://rebind.example/a")})
    async with peers.client(resolver=StaticResolver({"rebind.example": ["169.254.169.254"]})) as client:
        with pytest.raises(UnsafeAddressError):
            await fetch_document(client, "https://rebind.example/a")
        with pytest.raises(UnsafeAddressError):
            await fetch_json(client, "http://[::1]/.well-known/nodeinfo")
    assert peers.urls == []


async def test_oversize_body_is_refused() -> None:
    """A body over max_bytes raises ResponseTooLarge."""
    url = "https://remote.example/big"
    peers = Peers({url: doc(url, summary="x" * 3000)})
    async with peers.client() as client:
        with pytest.raises(ResponseTooLarge):
            await fetch_document(client, url, max_bytes=2000)
        assert (await fetch_document(client, url, max_bytes=4000))["id"] == url


@pytest.mark.parametrize("body", [b"[1, 2]", b'"string"', b"null", b"{not json", b'{"id": NaN}', b"\xff\xfe"])
async def test_non_object_or_invalid_json_is_refused(body: bytes) -> None:
    """Only a JSON object is a document."""
    url = "https://remote.example/o"
    peers = Peers({url: raw(body)})
    async with peers.client() as client:
        with pytest.raises(FetchError):
            await fetch_document(client, url)


async def test_deep_nesting_is_refused() -> None:
    """A document nested deeper than 64 levels (here 100k) is refused without crashing."""
    url = "https://remote.example/deep"
    body = b'{"id": "' + url.encode() + b'", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    peers = Peers({url: raw(body)})
    async with peers.client() as client:
        with pytest.raises(FetchError, match="deeper"):
            await fetch_document(client, url)


async def test_error_statuses() -> None:
    """410 raises GoneError; other 4xx/5xx raise FetchStatusError carrying the status."""
    peers = Peers({"https://remote.example/gone": httpx.Response(410),
                   "https://remote.example/err": httpx.Response(503)})
    async with peers.client() as client:
        with pytest.raises(GoneError) as gone:
            await fetch_document(client, "https://remote.example/gone")
        with pytest.raises(FetchStatusError, match="404") as missing:
            await fetch_document(client, "https://remote.example/missing")
        with pytest.raises(FetchStatusError, match="503") as failed:
            await fetch_json(client, "https://remote.example/err")
    assert (gone.value.status, missing.value.status, failed.value.status) == (410, 404, 503)
    assert not isinstance(missing.value, GoneError)


@pytest.mark.parametrize(
    ("local_host", "url", "refused"),
    [
        ("hub.example", "https://hub.example/groups/a", True),
        ("hub.example", "https://HUB.example.:8443/groups/a", True),
        ("localhost:8000", "http://localhost:8000/x", True),
        ("localhost:8000", "http://localhost:8001/x", False),
        ("hub.example", "https://other.example/x", False),
    ],
)
async def test_own_domain_is_never_fetched(local_host: str, url: str, refused: bool) -> None:
    """Our own domain (any port unless local_host names one) is refused before any request."""
    peers = Peers({url: doc(url)})
    policy = AddressPolicy(["127.0.0.0/8"])
    async with build_client(policy, transport=httpx.MockTransport(peers), user_agent="t") as client:
        if refused:
            with pytest.raises(FetchError, match="our own domain"):
                await fetch_document(client, url, local_host=local_host)
            assert peers.urls == []
        else:
            await fetch_document(client, url, local_host=local_host)


async def test_fetch_json_accepts_any_json_without_id_rule() -> None:
    """WebFinger JRD is accepted without an id; HTML is not; redirects stay on the host."""
    wf = "https://remote.example/.well-known/webfinger?resource=acct:alice@remote.example"
    peers = Peers({wf: raw(b'{"subject": "acct:alice@remote.example"}', "application/jrd+json"),
                   "https://remote.example/html": raw(b"{}", "text/html"),
                   "https://remote.example/away": redirect("https://evil.example/")})
    async with peers.client() as client:
        assert (await fetch_json(client, wf, accept="application/jrd+json"))["subject"].startswith("acct:")
        with pytest.raises(FetchError, match="not a JSON document"):
            await fetch_json(client, "https://remote.example/html")
        with pytest.raises(OriginError):
            await fetch_json(client, "https://remote.example/away")
    assert peers.requests[0].headers["Accept"] == "application/jrd+json"


async def test_bad_urls_are_fetch_errors() -> None:
    """URLs that are not http(s) fail with FetchError before any request."""
    peers = Peers({})
    async with peers.client() as client:
        for url in ("ftp://remote.example/a", "/relative", "urn:uuid:1"):
            with pytest.raises(FetchError):
                await fetch_document(client, url)
    assert peers.urls == []


async def test_slow_server_exceeds_the_deadline() -> None:
    """A real server that sleeps past the 0.5 s deadline makes fetch_document fail in time."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({"id": str(request.url)}, content_type=AS2)

    async with serve({"/slow": slow}) as (port, seen):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            started = time.monotonic()
            with pytest.raises(FetchError):
                await fetch_document(client, f"http://127.0.0.1:{port}/slow", deadline=0.5)
            assert time.monotonic() - started < 1.5
    assert len(seen) == 1


async def test_real_server_document_round_trip() -> None:
    """Over the real aiohttp client, a same-host redirect then a matching id succeeds."""

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/users/alice")

    async def alice(request: web.Request) -> web.Response:
        return web.json_response({"id": str(request.url), "type": "Person"}, content_type=AS2)

    async with serve({"/@alice": moved, "/users/alice": alice}) as (port, seen):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            document = await fetch_document(client, f"http://127.0.0.1:{port}/@alice")
    assert document["id"] == f"http://127.0.0.1:{port}/users/alice"
    assert [r.path for r in seen] == ["/@alice", "/users/alice"]
