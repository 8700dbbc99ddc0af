"""Tests for federation.nodeinfo and its endpoints: our documents, peer software caching, Announce form."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from federation.context import Federation
from federation.nodeinfo import (
    APPLICATION_REL,
    GROUP_AWARE_SOFTWARE,
    MICROBLOG_SOFTWARE,
    announce_form,
    nodeinfo_document,
    nodeinfo_links,
    peer_software,
    project_urls,
)
from hub import __version__
from hub.clock import now
from hub.models import Account, Membership, Peer, Post
from hub.services.groups import create_group
from tests.federation.test_webfinger import BASE, LOCAL, Network, discovery_app, make_fed

REL_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
REL_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


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


def json_response(document: dict, content_type: str = "application/json") -> httpx.Response:
    """A 200 JSON answer."""
    return httpx.Response(200, headers={"Content-Type": content_type}, content=json.dumps(document).encode())


class NodeInfoPeer:
    """A peer serving /.well-known/nodeinfo and its documents from a table of path -> document."""

    def __init__(self, origin: str, documents: dict[str, dict]) -> None:
        self.origin = origin
        self.documents = documents

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer a known path of the peer's origin, 404 otherwise."""
        url = str(request.url)
        if url.startswith(self.origin) and url[len(self.origin) :] in self.documents:
            return json_response(self.documents[url[len(self.origin) :]])
        return httpx.Response(404)


def mastodon(origin: str = "https://social.example") -> NodeInfoPeer:
    """A Mastodon-like peer advertising NodeInfo 2.0 and 2.1."""
    return NodeInfoPeer(
        origin,
        {
            "/.well-known/nodeinfo": {
                "links": [
                    {"rel": REL_20, "href": f"{origin}/nodeinfo/2.0"},
                    {"rel": REL_21, "href": f"{origin}/nodeinfo/2.1"},
                ]
            },
            "/nodeinfo/2.0": {"version": "2.0", "software": {"name": "Mastodon", "version": "4.2.0"}},
            "/nodeinfo/2.1": {"version": "2.1", "software": {"name": "Mastodon", "version": "4.3.1"}},
        },
    )


# --- server side -------------------------------------------------------------------------------


def test_nodeinfo_links(fed: Federation) -> None:
    """The well-known JRD links 2.0, 2.1 and the instance actor (FEP-2677)."""
    assert nodeinfo_links(fed) == {
        "links": [
            {"rel": REL_20, "href": f"{BASE}/nodeinfo/2.0"},
            {"rel": REL_21, "href": f"{BASE}/nodeinfo/2.1"},
            {"rel": APPLICATION_REL, "href": f"{BASE}/actor"},
        ]
    }


async def add_post(group, author: Account, number: int, *, age: timedelta, state: str = "published") -> Post:
    """A stored post by ``author`` published ``age`` ago."""
    uri = f"https://social.example/notes/{number}"
    return await Post.create(
        group=group, author=author, uri=uri, object_type="Note", thread_uri=uri, visibility="public",
        state=state, published_at=now() - age, activity_json="{}",
    )


async def test_nodeinfo_document_usage(db, fed: Federation) -> None:
    """Usage counts distinct accepted members, recent distinct authors and published posts."""
    # Given two groups (one private) with overlapping members and posts of various ages and states
    climate = await create_group("climate", "Climate Action")
    housing = await create_group("housing", "Housing", private=True)
    alice, bob, carol, dave = [await Account.create(uri=f"https://social.example/users/{n}") for n in "abcd"]
    for group, account, state in [
        (climate, alice, "accepted"), (housing, alice, "accepted"), (climate, bob, "accepted"),
        (climate, carol, "pending"), (housing, dave, "banned"),
    ]:
        await Membership.create(group=group, account=account, state=state)
    await add_post(climate, alice, 1, age=timedelta(days=1))
    await add_post(housing, alice, 2, age=timedelta(days=2))
    await add_post(climate, bob, 3, age=timedelta(days=90))
    await add_post(climate, carol, 4, age=timedelta(days=400))
    await add_post(climate, dave, 5, age=timedelta(days=1), state="removed")
    # When the 2.0 document is built
    document = await nodeinfo_document(fed, "2.0")
    # Then the counts follow the definitions
    assert document["usage"] == {"users": {"total": 2, "activeMonth": 1, "activeHalfyear": 2}, "localPosts": 4}
    assert document["metadata"] == {"nodeName": LOCAL, "groups": 1}
    assert document["software"] == {"name": "causeway", "version": __version__}
    assert document["protocols"] == ["activitypub"]
    assert document["services"] == {"inbound": [], "outbound": ["atom1.0", "rss2.0"]}
    assert document["openRegistrations"] is False
    assert document["version"] == "2.0"


async def test_nodeinfo_21_software_urls(db, fed: Federation) -> None:
    """2.1 adds the package's repository/homepage URLs (when it declares them); 2.0 never has them."""
    document = await nodeinfo_document(fed, "2.1")
    urls = project_urls()
    expected = {"name": "causeway", "version": __version__}
    if urls.get("repository") or urls.get("source"):
        expected["repository"] = urls.get("repository") or urls["source"]
    if urls.get("homepage"):
        expected["homepage"] = urls["homepage"]
    assert document["version"] == "2.1"
    assert document["software"] == expected


async def test_nodeinfo_document_rejects_other_versions(fed: Federation) -> None:
    """Only 2.0 and 2.1 are served."""
    with pytest.raises(ValueError, match="2.2"):
        await nodeinfo_document(fed, "2.2")


async def test_nodeinfo_endpoints(db, fed: Federation) -> None:
    """The endpoints serve the JRD and the documents with the schema profile; other versions are 404."""
    transport = httpx.ASGITransport(app=discovery_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        links = await http.get("/.well-known/nodeinfo")
        assert links.json() == nodeinfo_links(fed)
        for version in ("2.0", "2.1"):
            response = await http.get(f"/nodeinfo/{version}")
            assert response.status_code == 200
            assert response.headers["content-type"] == (
                f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
            )
            assert response.json()["version"] == version
        missing = await http.get("/nodeinfo/1.0")
        assert missing.status_code == 404


# --- client side ---------------------------------------------------------------------------------


async def test_peer_software_is_cached(db, network: Network, fed: Federation) -> None:
    """The highest 2.x document is read once; a second call answers from the Peer row."""
    network.handler = mastodon()
    assert await peer_software(fed, "Social.Example") == "mastodon"
    assert [str(r.url) for r in network.requests] == [
        "https://social.example/.well-known/nodeinfo", "https://social.example/nodeinfo/2.1",
    ]
    peer = await Peer.get(host="social.example")
    assert (peer.software, peer.software_version) == ("mastodon", "4.3.1")
    assert peer.nodeinfo_fetched_at is not None
    assert await peer_software(fed, "social.example") == "mastodon"
    assert len(network.requests) == 2


async def test_peer_software_refetched_when_stale(db, network: Network, fed: Federation) -> None:
    """Past ``max_age`` NodeInfo is fetched again."""
    network.handler = mastodon()
    await peer_software(fed, "social.example")
    await peer_software(fed, "social.example", max_age=timedelta(0))
    assert len(network.requests) == 4


async def test_peer_software_loopback_uses_http(db, network: Network, fed: Federation) -> None:
    """A test peer on an allowed loopback address is asked over plain http."""
    network.handler = mastodon("http://127.0.0.2:9000")
    assert await peer_software(fed, "127.0.0.2:9000") == "mastodon"
    assert await Peer.exists(host="127.0.0.2:9000")


async def test_peer_software_ignores_links_to_other_hosts(db, network: Network, fed: Federation) -> None:
    """A NodeInfo link to another host is ignored; the failure is recorded and not retried at once."""
    network.handler = NodeInfoPeer(
        "https://social.example",
        {"/.well-known/nodeinfo": {"links": [{"rel": REL_21, "href": "https://elsewhere.example/nodeinfo/2.1"}]}},
    )
    assert await peer_software(fed, "social.example") is None
    assert [r.url.host for r in network.requests] == ["social.example"]
    peer = await Peer.get(host="social.example")
    assert peer.software is None and peer.nodeinfo_fetched_at is not None
    assert await peer_software(fed, "social.example") is None
    assert len(network.requests) == 1


async def test_peer_software_failure_keeps_what_was_known(db, network: Network, fed: Federation) -> None:
    """When a refetch fails, the last known software is kept and the attempt recorded."""
    old = now() - timedelta(days=3)
    await Peer.create(host="social.example", software="lemmy", software_version="0.19", nodeinfo_fetched_at=old)
    network.handler = lambda request: httpx.Response(500)
    assert await peer_software(fed, "social.example") == "lemmy"
    peer = await Peer.get(host="social.example")
    assert peer.software == "lemmy" and peer.nodeinfo_fetched_at > old


async def test_peer_software_never_raises_for_network_trouble(db, network: Network, fed: Federation) -> None:
    """Connection errors and garbage answers give None, not an exception."""

    def refuse(request: httpx.Request) -> httpx.Response:
        """Fail like a server that is down."""
        raise httpx.ConnectError("connection refused", request=request)

    network.handler = refuse
    assert await peer_software(fed, "down.example") is None
    network.handler = lambda request: httpx.Response(200, headers={"Content-Type": "application/json"}, content=b"[1")
    assert await peer_software(fed, "garbage.example") is None
    network.handler = lambda request: json_response({"links": "nope"})
    assert await peer_software(fed, "odd.example") is None


async def test_peer_software_of_this_hub(network: Network, fed: Federation) -> None:
    """Our own host is never fetched: it runs Causeway."""
    assert await peer_software(fed, LOCAL) == "causeway"
    assert network.requests == []


@pytest.mark.parametrize(
    ("software", "form"),
    [
        ("mastodon", "object"), ("Mastodon", "object"), ("pleroma", "object"), ("akkoma", "object"),
        ("misskey", "object"), ("sharkey", "object"), ("gotosocial", "object"), ("takahe", "object"),
        ("iceshrimp", "object"), ("firefish", "object"), ("hometown", "object"), ("peertube", "object"),
        ("something-new", "object"), (None, "object"), ("", "object"),
        ("lemmy", "activity"), ("piefed", "activity"), ("mbin", "activity"), ("kbin", "activity"),
        ("friendica", "activity"), ("hubzilla", "activity"), ("nodebb", "activity"), ("discourse", "activity"),
        ("wordpress", "activity"), ("causeway", "activity"), ("lotide", "activity"), ("mobilizon", "activity"),
    ],
)
def test_announce_form(software: str | None, form: str) -> None:
    """FEP-1b12 software gets the wrapped activity; Mastodon-like and unknown software the object id."""
    assert announce_form(software) == form


def test_software_sets_are_disjoint() -> None:
    """No software is both microblog-only and group-aware."""
    assert not MICROBLOG_SOFTWARE & GROUP_AWARE_SOFTWARE


@pytest.mark.parametrize("name", ["<script>", "", " ", "a" * 65, "ünïcode", "\x00"])
async def test_peer_software_refuses_unusable_names(db, network: Network, fed: Federation, name: str) -> None:
    """A software name with control characters or outside NodeInfo's alphabet is not stored (NUL breaks PostgreSQL)."""
    peer = mastodon()
    peer.documents["/nodeinfo/2.1"] = {"version": "2.1", "software": {"name": name, "version": "1\x00"}}
    peer.documents["/nodeinfo/2.0"] = peer.documents["/nodeinfo/2.1"]
    network.handler = peer
    assert await peer_software(fed, "social.example") is None
    assert (await Peer.get(host="social.example")).software is None


async def test_peer_software_drops_control_characters(db, network: Network, fed: Federation) -> None:
    """Control characters (NUL breaks PostgreSQL text) are dropped from the name and the version."""
    peer = mastodon()
    peer.documents["/nodeinfo/2.1"] = {"version": "2.1", "software": {"name": "Mast\x00odon", "version": "4.3\x00.1"}}
    network.handler = peer
    assert await peer_software(fed, "social.example") == "mastodon"
    assert (await Peer.get(host="social.example")).software_version == "4.3.1"
