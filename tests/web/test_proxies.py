"""HUB_TRUSTED_PROXIES: the forwarded client counts only when the peer is a trusted proxy (web.proxies)."""

from __future__ import annotations

import contextlib
import dataclasses

import httpx
import pytest

from hub.models import LoginToken
from hub.services import signin
from tests.web.conftest import HUB_BASE
from web.proxies import TrustedProxies, parse_address

pytestmark = pytest.mark.db

PROXY = "10.0.0.5"


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),                       # the proxy names the client
    ("10.0.0.5", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),              # what the client sent itself is left of it
    ("10.0.0.5", ["6.6.6.6", "198.51.100.1, 10.0.0.9"], "198.51.100.1"),  # two proxies, two header lines
    ("10.0.0.5", ["10.0.0.7, 10.0.0.9"], "10.0.0.7"),                     # every hop trusted: the leftmost
    ("10.0.0.5", ["not-an-ip, 198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["198.51.100.1, garbage"], "10.0.0.5"),                  # a hop we cannot read: keep the peer
    ("10.0.0.5", ["[2001:db8::1]:4711"], "2001:db8::1"),
    ("10.0.0.5", ["198.51.100.1:8080"], "198.51.100.1"),
    ("10.0.0.5", [], "10.0.0.5"),
    ("8.8.8.8", ["198.51.100.1"], "8.8.8.8"),                             # not a trusted peer: header ignored
    ("::ffff:10.0.0.5", ["198.51.100.1"], "198.51.100.1"),                # IPv4-mapped peer
])
def test_client_is_the_rightmost_untrusted_hop(peer: str, forwarded: list[str], client: str) -> None:
    """The client is the last hop a trusted proxy saw; a client's own X-Forwarded-For entries do not count."""
    assert TrustedProxies(["10.0.0.0/8"]).client(peer, forwarded) == client


def test_no_trusted_proxies_means_no_forwarding() -> None:
    """Empty setting: always the peer, and the app adds no middleware (falsy)."""
    proxies = TrustedProxies([])
    assert not proxies and proxies.client("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"
    assert parse_address("localhost") is None and str(parse_address(" 192.0.2.1 ")) == "192.0.2.1"


@contextlib.asynccontextmanager
async def from_peer(hub, peer: str, forwarded: str | None = None):
    """The hub as seen by a client connecting from ``peer`` and sending ``X-Forwarded-For: forwarded``."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    transport = httpx.ASGITransport(app=hub.app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=HUB_BASE, headers=headers) as client:
        yield dataclasses.replace(hub, client=client)


async def ask_link(hub, name: str, peer: str, forwarded: str | None = None) -> httpx.Response:
    """POST /login/link for @name@social.example as a client from ``peer``."""
    hub.remote.person(name)
    async with from_peer(hub, peer, forwarded) as client:
        return await client.post_form("/login/link", {"handle": f"@{name}@social.example"})


async def use_up_address(address: str) -> None:
    """Spend an address's whole hourly budget of sign-in link requests (charged whoever they name)."""
    for _ in range(signin.PER_ADDRESS_LIMIT):
        await signin.charge_address(address)


async def test_sign_in_limit_is_keyed_on_the_forwarded_client(web_factory) -> None:
    """Behind a trusted proxy each visitor has their own sign-in budget; a spoofed header from elsewhere changes nothing."""
    # Given a hub behind a proxy in 10.0.0.0/8, and a visitor at 198.51.100.1 who used up their budget
    hub = await web_factory(HUB_OPEN_GROUP_CREATION="true", HUB_TRUSTED_PROXIES="10.0.0.0/8")
    await use_up_address("198.51.100.1")
    # When that visitor asks again through the proxy, they are refused
    assert (await ask_link(hub, "alice", PROXY, "198.51.100.1")).status_code == 429
    # while another visitor through the same proxy is served, and recorded under their own address
    assert (await ask_link(hub, "bob", PROXY, "6.6.6.6, 198.51.100.2")).status_code == 200
    assert (await LoginToken.filter(account__handle="bob@social.example").first()).requested_ip == "198.51.100.2"
    # and a client that is not the proxy cannot pick its address with the header
    assert (await ask_link(hub, "carol", "8.8.8.8", "198.51.100.3")).status_code == 200
    assert (await LoginToken.filter(account__handle="carol@social.example").first()).requested_ip == "8.8.8.8"


async def test_forwarding_headers_are_ignored_without_the_setting(web_factory) -> None:
    """Without HUB_TRUSTED_PROXIES the proxy's own address is the client: forwarded addresses are not believed."""
    hub = await web_factory(HUB_OPEN_GROUP_CREATION="true")
    await use_up_address("198.51.100.1")
    assert (await ask_link(hub, "alice", PROXY, "198.51.100.1")).status_code == 200
    assert (await LoginToken.filter(account__handle="alice@social.example").first()).requested_ip == PROXY


async def test_metrics_follow_the_forwarded_client(web_factory) -> None:
    """Without a token, /metrics answers loopback/private clients: behind a trusted proxy that means the forwarded one."""
    hub = await web_factory(HUB_TRUSTED_PROXIES="127.0.0.1/32")
    async with from_peer(hub, "127.0.0.1", "8.8.4.4") as outsider:
        assert (await outsider.client.get("/metrics")).status_code == 403
    async with from_peer(hub, "127.0.0.1", "192.168.1.20") as lan:
        assert (await lan.client.get("/metrics")).status_code == 200
