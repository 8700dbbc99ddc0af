"""Tests for federation.webfinger and its endpoints: local JRDs, host-meta, and handle lookups."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from federation import discovery_endpoints
from federation.context import Federation, build_federation
from federation.errors import DiscoveryError
from federation.webfinger import (
    REL_APPLICATION,
    REL_PROFILE_PAGE,
    REL_SELF,
    host_meta_json,
    host_meta_xml,
    parse_handle,
    remote_scheme,
    resolve_actor_url,
    resolve_handle,
    subscribe_template,
    webfinger_document,
)
from hub.services.groups import create_group
from hub.settings import load_settings

LOCAL = "127.0.0.1:8123"
BASE = f"http://{LOCAL}"
AS2 = "application/activity+json"

Handler = Callable[[httpx.Request], httpx.Response]


class Network:
    """A mock network answering from a handler and recording every request."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or (lambda request: httpx.Response(404))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then answer it."""
        self.requests.append(request)
        return self.handler(request)


def make_fed(network: Network, domain: str = LOCAL, **env: str) -> Federation:
    """A Federation for ``domain`` whose outbound client talks to ``network``."""
    settings = load_settings({"HUB_DOMAIN": domain, "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8", **env})
    return build_federation(settings, http_transport=httpx.MockTransport(network))


@pytest.fixture
def network() -> Network:
    """The mock network of the test (404 for everything until a handler is set)."""
    return Network()


@pytest.fixture
async def fed(network: Network) -> AsyncIterator[Federation]:
    """A Federation for 127.0.0.1:8123 over the mock network."""
    federation = make_fed(network)
    yield federation
    await federation.close()


def jrd(*links: dict, subject: str = "acct:alice@social.example") -> httpx.Response:
    """A WebFinger answer with the given links."""
    body = json.dumps({"subject": subject, "links": list(links)})
    return httpx.Response(200, headers={"Content-Type": "application/jrd+json"}, content=body.encode())


def self_link(href: str = "https://social.example/users/alice", type_: str = AS2) -> dict:
    """A ``self`` link to an actor."""
    return {"rel": "self", "type": type_, "href": href}


def link(document: dict, rel: str) -> dict:
    """The one link of ``document`` with relation ``rel``."""
    found = [item for item in document["links"] if item["rel"] == rel]
    assert len(found) == 1, document
    return found[0]


# --- server side -------------------------------------------------------------------------------


async def test_group_document_by_acct(db, fed: Federation) -> None:
    """acct:slug@domain answers with subject, alias, self (activity+json) and profile-page links."""
    await create_group("climate", "Climate Action")
    document = await webfinger_document(fed, f"acct:climate@{LOCAL}")
    actor = f"{BASE}/groups/climate"
    assert document is not None
    assert document["subject"] == f"acct:climate@{LOCAL}"
    assert document["aliases"] == [actor]
    assert link(document, REL_SELF)["href"] == actor
    assert link(document, REL_SELF)["type"] == AS2
    assert link(document, REL_PROFILE_PAGE) == {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": actor}


GROUP_RESOURCE_FORMS = [
    "acct:climate@hub.example",
    "acct:Climate@HUB.Example",
    "acct:climate@hub.example.",
    "acct:climate@hub.example:443",
    "climate@hub.example",
    "@climate@hub.example",
    "https://hub.example/groups/climate",
    "https://HUB.example/groups/climate",
]


async def test_group_resource_forms(db, network: Network) -> None:
    """The host is compared case-insensitively, without trailing dot or default port."""
    federation = make_fed(network, domain="hub.example")
    try:
        await create_group("climate", "Climate Action")
        for resource in GROUP_RESOURCE_FORMS:
            document = await webfinger_document(federation, resource)
            assert document is not None, resource
            assert document["subject"] == "acct:climate@hub.example"
            assert link(document, REL_SELF)["href"] == "https://hub.example/groups/climate"
    finally:
        await federation.close()


async def test_private_group_is_discoverable(db, fed: Federation) -> None:
    """A private group still answers, so people can find it and ask to join."""
    await create_group("organisers", "Organisers", private=True)
    document = await webfinger_document(fed, f"acct:organisers@{LOCAL}")
    assert document is not None
    assert link(document, REL_SELF)["href"] == f"{BASE}/groups/organisers"


async def test_group_by_actor_url(db, fed: Federation) -> None:
    """The group's actor URL is a resource too; the subject is still its acct: handle."""
    await create_group("climate", "Climate Action")
    document = await webfinger_document(fed, f"{BASE}/groups/climate")
    assert document is not None
    assert document["subject"] == f"acct:climate@{LOCAL}"


UNKNOWN_RESOURCES = [
    f"acct:nobody@{LOCAL}",
    "acct:climate@127.0.0.1",
    "acct:climate@127.0.0.1:9999",
    "acct:climate@other.example",
    "acct:climate",
    "climate",
    "",
    "mailto:climate@127.0.0.1:8123",
    f"{BASE}/groups/nobody",
    f"{BASE}/groups/climate/inbox",
    f"{BASE}/groups/climate?x=1",
    "http://other.example/groups/climate",
    "http://other.example/",
]


async def test_unknown_resources(db, fed: Federation) -> None:
    """Anything that is not a local group or the instance actor gets None (404)."""
    await create_group("climate", "Climate Action")
    for resource in UNKNOWN_RESOURCES:
        assert await webfinger_document(fed, resource) is None, resource


@pytest.mark.parametrize(
    ("resource", "subject"),
    [
        (f"acct:127.0.0.1@{LOCAL}", f"acct:127.0.0.1@{LOCAL}"),
        (f"{BASE}/actor", f"acct:127.0.0.1@{LOCAL}"),
        (f"{BASE}/", f"{BASE}/"),
        (BASE, f"{BASE}/"),
    ],
)
async def test_instance_actor_discovery(fed: Federation, resource: str, subject: str) -> None:
    """The instance actor answers by handle, by URL and, per FEP-d556, by the server prefix."""
    document = await webfinger_document(fed, resource)
    assert document is not None
    assert document["subject"] == subject
    assert link(document, REL_SELF) == {"rel": REL_SELF, "type": AS2, "href": f"{BASE}/actor"}
    assert link(document, REL_APPLICATION)["href"] == f"{BASE}/actor"


def test_host_meta_documents(fed: Federation) -> None:
    """host-meta (XRD and JSON) carries the lrdd template of the WebFinger endpoint."""
    template = f"{BASE}/.well-known/webfinger?resource={{uri}}"
    root = ET.fromstring(host_meta_xml(fed))
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    links = root.findall("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert [(item.get("rel"), item.get("template")) for item in links] == [("lrdd", template)]
    assert host_meta_json(fed) == {"links": [{"rel": "lrdd", "template": template}]}


# --- endpoints -----------------------------------------------------------------------------------


def discovery_app(federation: Federation) -> Starlette:
    """A tiny app mounting the discovery endpoints as the web layer will."""
    app = Starlette(
        routes=[
            Route("/.well-known/webfinger", discovery_endpoints.webfinger),
            Route("/.well-known/host-meta", discovery_endpoints.host_meta),
            Route("/.well-known/host-meta.json", discovery_endpoints.host_meta),
            Route("/.well-known/nodeinfo", discovery_endpoints.nodeinfo_links),
            Route("/nodeinfo/{version}", discovery_endpoints.nodeinfo),
        ]
    )
    app.state.federation = federation
    return app


@pytest.fixture
async def http(fed: Federation) -> AsyncIterator[httpx.AsyncClient]:
    """A client talking to the discovery app in-process."""
    transport = httpx.ASGITransport(app=discovery_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def test_webfinger_endpoint(db, http: httpx.AsyncClient) -> None:
    """The endpoint answers application/jrd+json with an open CORS header."""
    await create_group("climate", "Climate Action")
    response = await http.get("/.well-known/webfinger", params={"resource": f"acct:climate@{LOCAL}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["subject"] == f"acct:climate@{LOCAL}"


async def test_webfinger_endpoint_rel_filter(db, http: httpx.AsyncClient) -> None:
    """``rel`` parameters limit the links returned (RFC 7033 section 4.3)."""
    await create_group("climate", "Climate Action")
    response = await http.get("/.well-known/webfinger", params={"resource": f"acct:climate@{LOCAL}", "rel": "self"})
    assert [item["rel"] for item in response.json()["links"]] == ["self"]


async def test_webfinger_endpoint_errors(db, http: httpx.AsyncClient) -> None:
    """A missing resource is a 400 that says what to ask; an unknown one is a 404; both allow CORS."""
    missing = await http.get("/.well-known/webfinger")
    assert missing.status_code == 400
    assert "resource" in missing.text
    assert missing.headers["access-control-allow-origin"] == "*"
    unknown = await http.get("/.well-known/webfinger", params={"resource": f"acct:nobody@{LOCAL}"})
    assert unknown.status_code == 404
    assert unknown.headers["access-control-allow-origin"] == "*"


async def test_host_meta_endpoints(http: httpx.AsyncClient) -> None:
    """host-meta is served as XRD, host-meta.json as JSON."""
    xml = await http.get("/.well-known/host-meta")
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    assert "lrdd" in xml.text
    as_json = await http.get("/.well-known/host-meta.json")
    assert as_json.json()["links"][0]["rel"] == "lrdd"


# --- client side ---------------------------------------------------------------------------------


async def test_resolve_handle(network: Network, fed: Federation) -> None:
    """An unsigned https WebFinger query for acct:name@host yields the self link's href."""
    network.handler = lambda request: jrd(
        {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": "https://social.example/@alice"}, self_link()
    )
    assert await resolve_handle(fed, "@alice@Social.Example") == "https://social.example/users/alice"
    [request] = network.requests
    assert request.url.scheme == "https"
    assert request.url.host == "social.example"
    assert request.url.path == "/.well-known/webfinger"
    assert request.url.params["resource"] == "acct:alice@social.example"
    assert "signature" not in request.headers and "signature-input" not in request.headers


async def test_resolve_handle_prefers_activity_json(network: Network, fed: Federation) -> None:
    """Of several self links, the activity+json one wins; ld+json with the AS profile also counts."""
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    network.handler = lambda request: jrd(
        self_link("https://social.example/ld/alice", ld), self_link("https://social.example/users/alice")
    )
    assert await resolve_handle(fed, "alice@social.example") == "https://social.example/users/alice"
    network.handler = lambda request: jrd(self_link("https://social.example/ld/alice", ld))
    assert await resolve_handle(fed, "alice@social.example") == "https://social.example/ld/alice"


async def test_resolve_handle_plain_http_on_allowed_loopback(network: Network, fed: Federation) -> None:
    """Test peers on allowed loopback addresses are asked over plain http."""
    network.handler = lambda request: jrd(self_link("http://127.0.0.2:9000/users/bob"))
    assert await resolve_handle(fed, "@bob@127.0.0.2:9000") == "http://127.0.0.2:9000/users/bob"
    assert str(network.requests[0].url).startswith("http://127.0.0.2:9000/.well-known/webfinger?")


@pytest.mark.parametrize(
    "handle",
    ["alice", "@alice", "alice@", "@@social.example", "al ice@social.example", "alice@social example",
     "https://social.example/@alice", "", "alice@social.example/x", "!alice", "!@alice@social.example", "!!c@lemmy.example"],
)
async def test_handle_syntax_errors(network: Network, fed: Federation, handle: str) -> None:
    """Malformed handles fail before any request, telling the person how to write one."""
    with pytest.raises(DiscoveryError, match="write it as @name@server.example"):
        await resolve_handle(fed, handle)
    assert network.requests == []


def test_parse_handle_normalises_host() -> None:
    """parse_handle keeps the name and the port, lower-cases and IDNA-encodes the host."""
    assert parse_handle("@Alice@Social.Example") == ("Alice", "social.example")
    assert parse_handle("acct:bob@127.0.0.1:9000") == ("bob", "127.0.0.1:9000")
    assert parse_handle("carol@bücher.example") == ("carol", "xn--bcher-kva.example")


def test_parse_handle_takes_lemmy_community_mentions() -> None:
    """Lemmy and Mbin write a community as !name@host: an organiser who pastes one gets the community."""
    assert parse_handle("!climate@Lemmy.Example") == ("climate", "lemmy.example")
    assert parse_handle(" !housing@kbin.example:8443 ") == ("housing", "kbin.example:8443")


async def test_no_self_link(network: Network, fed: Federation) -> None:
    """A JRD without an ActivityStreams self link is a DiscoveryError naming the host."""
    network.handler = lambda request: jrd(
        {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": "https://social.example/@alice"},
        self_link("https://social.example/@alice", "text/html"),
    )
    with pytest.raises(DiscoveryError, match="social.example knows @alice but lists no ActivityPub actor"):
        await resolve_handle(fed, "@alice@social.example")


async def test_unknown_handle(network: Network, fed: Federation) -> None:
    """A 404 from the server means it does not know the name."""
    with pytest.raises(DiscoveryError, match="social.example does not know @alice"):
        await resolve_handle(fed, "@alice@social.example")


async def test_unreachable_server(network: Network, fed: Federation) -> None:
    """A connection failure says which server could not be reached."""

    def refuse(request: httpx.Request) -> httpx.Response:
        """Fail like a server that is down."""
        raise httpx.ConnectError("connection refused", request=request)

    network.handler = refuse
    with pytest.raises(DiscoveryError, match="could not reach social.example"):
        await resolve_handle(fed, "@alice@social.example")


async def test_not_json_is_unreachable(network: Network, fed: Federation) -> None:
    """An HTML page instead of a JRD counts as an unusable server."""
    network.handler = lambda request: httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html>")
    with pytest.raises(DiscoveryError, match="could not reach social.example"):
        await resolve_handle(fed, "@alice@social.example")


async def test_local_handle_answered_without_request(db, network: Network, fed: Federation) -> None:
    """A handle on this hub is resolved from its own WebFinger document, never over HTTP."""
    await create_group("climate", "Climate Action")
    assert await resolve_handle(fed, f"@climate@{LOCAL}") == f"{BASE}/groups/climate"
    with pytest.raises(DiscoveryError, match="this hub does not know"):
        await resolve_handle(fed, f"@nobody@{LOCAL}")
    assert network.requests == []


async def test_subscribe_template(network: Network, fed: Federation) -> None:
    """The ostatus subscribe template is returned only when it holds {uri}."""
    subscribe = "http://ostatus.org/schema/1.0/subscribe"
    template = "https://social.example/authorize_interaction?uri={uri}"
    network.handler = lambda request: jrd(self_link(), {"rel": subscribe, "template": template})
    assert await subscribe_template(fed, "@alice@social.example") == template
    network.handler = lambda request: jrd(self_link(), {"rel": subscribe, "template": "https://social.example/x"})
    assert await subscribe_template(fed, "@alice@social.example") is None
    network.handler = lambda request: jrd(self_link())
    assert await subscribe_template(fed, "@alice@social.example") is None


async def test_resolve_actor_url(network: Network, fed: Federation) -> None:
    """http(s) URLs pass through untouched; other schemes fail; handles go through WebFinger."""
    assert await resolve_actor_url(fed, "https://social.example/users/alice") == "https://social.example/users/alice"
    assert network.requests == []
    with pytest.raises(DiscoveryError, match="http"):
        await resolve_actor_url(fed, "ftp://social.example/users/alice")
    network.handler = lambda request: jrd(self_link())
    assert await resolve_actor_url(fed, "@alice@social.example") == "https://social.example/users/alice"


@pytest.mark.parametrize(
    ("host", "scheme"),
    [
        ("social.example", "https"),
        ("127.0.0.1", "http"),
        ("127.0.0.5:9000", "http"),
        ("localhost:9000", "http"),
        ("app.localhost", "http"),
        ("10.0.0.1", "https"),
        ("[::1]:9000", "https"),
        ("93.184.216.34", "https"),
    ],
)
def test_remote_scheme(fed: Federation, host: str, scheme: str) -> None:
    """Plain http only for IP literals and localhost inside the allowed private ranges."""
    assert remote_scheme(fed, host) == scheme
