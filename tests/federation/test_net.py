"""Tests for federation.net: the address policy, the guarded resolver and the outbound client."""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import httpx
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.errors import FetchError, ResponseTooLarge, UnsafeAddressError
from federation.net import (
    AddressPolicy,
    GuardedResolver,
    IdleBoundConnector,
    build_client,
    close_client,
    parse_ipv4_number,
    request,
)

UNSAFE_IPS = [
    "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255",
    "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255", "169.254.169.254",
    "100.64.0.1", "100.127.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
    "255.255.255.255", "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
    "::", "::1", "fe80::1", "fe80::1%eth0", "febf:ffff::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "ff0e::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::7f00:1",
    "2002:7f00:1::1", "2002:c0a8:101::", "2001:0:4136:e378:8000:63bf:3f57:fefe",
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "2001:db8::1", "3fff::1", "fec0::1", "100::1",
    "not-an-ip", "",
]
SAFE_IPS = [
    "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1",
    "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::", "64:ff9b::808:808",
]
LOOPBACK_LITERALS = [
    "127.0.0.1", "2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "0x7f.0.0.1",
    "0177.0.0.1", "127.0.0.1.", "[::1]", "::1", "[::ffff:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]",
]


class StaticResolver(AbstractResolver):
    """Resolves names from a fixed table, like a hostile or rebinding DNS server would."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the table's addresses for ``host``."""
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        return [
            ResolveResult(
                hostname=host, host=ip, port=port, proto=0, flags=socket.AI_NUMERICHOST,
                family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
            )
            for ip in self.table[host]
        ]

    async def close(self) -> None:
        """Remember that the resolver was closed."""
        self.closed = True


@contextlib.asynccontextmanager
async def serve(routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
                ) -> AsyncIterator[tuple[int, list[web.Request]]]:
    """Run an aiohttp server on 127.0.0.1; yield its port and the requests it received."""
    seen: list[web.Request] = []

    @web.middleware
    async def record(req: web.Request, handler):
        seen.append(req)
        return await handler(req)

    app = web.Application(middlewares=[record])
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1], seen
    finally:
        await runner.cleanup()


async def hello(req: web.Request) -> web.Response:
    """Answer with a short body."""
    return web.Response(text="hello", content_type="text/plain")


@pytest.mark.parametrize("ip", UNSAFE_IPS)
def test_unsafe_addresses_are_refused(ip: str) -> None:
    """Every private, loopback, link-local, CGNAT, multicast, reserved or embedded range is refused."""
    with pytest.raises(UnsafeAddressError):
        AddressPolicy().check_ip(ip)


@pytest.mark.parametrize("ip", SAFE_IPS)
def test_public_addresses_pass(ip: str) -> None:
    """Public addresses (also mapped or embedded public v4s) are allowed."""
    AddressPolicy().check_ip(ip)


@pytest.mark.parametrize(
    ("cidrs", "allowed", "refused"),
    [
        (["127.0.0.0/8"], ["127.0.0.1", "127.9.9.9", "::ffff:127.0.0.1"], ["::1", "10.0.0.1"]),
        (["10.1.0.0/16"], ["10.1.2.3"], ["10.2.0.1", "192.168.0.1"]),
        (["fd00::/8"], ["fd00::5"], ["fc00::1", "fe80::1"]),
        (["::1/128", "192.168.1.0/24"], ["::1", "192.168.1.77"], ["192.168.2.1", "127.0.0.1"]),
    ],
)
def test_allowed_cidrs_are_exceptions(cidrs: list[str], allowed: list[str], refused: list[str]) -> None:
    """Only addresses inside an explicitly allowed CIDR escape the blocklist."""
    policy = AddressPolicy(cidrs)
    for ip in allowed:
        policy.check_ip(ip)
    for ip in refused:
        with pytest.raises(UnsafeAddressError):
            policy.check_ip(ip)


@pytest.mark.parametrize("host", LOOPBACK_LITERALS)
def test_loopback_literals_in_any_form_are_refused(host: str) -> None:
    """Decimal, octal, hex and short forms of 127.0.0.1, bracketed and mapped v6 are all loopback."""
    with pytest.raises(UnsafeAddressError):
        AddressPolicy().check_host_literal(host)
    AddressPolicy(["127.0.0.0/8", "::1/128"]).check_host_literal(host)


@pytest.mark.parametrize("host", ["0", "0x0", "10.1", "167772161", "0xa9.0xfe.0xa9.0xfe", "1.2.3.4.5", "1.2.3.4294967295"])
def test_other_unsafe_or_invalid_numeric_hosts_are_refused(host: str) -> None:
    """Numeric hosts meaning 0.0.0.0, 10.x or 169.254.x, or that no parser accepts, are refused."""
    with pytest.raises(UnsafeAddressError):
        AddressPolicy().check_host_literal(host)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "app.localhost", "a.b.localhost"])
def test_localhost_names_are_refused_unless_loopback_is_allowed(host: str) -> None:
    """localhost and *.localhost are refused, and allowed only with 127.0.0.0/8."""
    with pytest.raises(UnsafeAddressError):
        AddressPolicy().check_host_literal(host)
    with pytest.raises(UnsafeAddressError):
        AddressPolicy(["10.0.0.0/8"]).check_host_literal(host)
    AddressPolicy(["127.0.0.0/8"]).check_host_literal(host)


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "134744072", "127.example", "localhost.example", "0x7f.example", "08.1", "1..2"])
def test_public_names_and_literals_pass(host: str) -> None:
    """Ordinary names and public literals pass the literal check (names are checked on resolution)."""
    AddressPolicy().check_host_literal(host)


@pytest.mark.parametrize("host", ["127.1", "0x7f.1", "2130706433", "017700000001", "0", "1.2.3", "0xff.0377.65535", "10.0x10.1.1"])
def test_numeric_hosts_parse_like_inet_aton(host: str) -> None:
    """parse_ipv4_number agrees with the C library's inet_aton."""
    assert parse_ipv4_number(host).packed == socket.inet_aton(host)


async def test_guarded_resolver_drops_unsafe_and_refuses_when_none_left() -> None:
    """Unsafe answers are dropped; a name with only unsafe answers raises UnsafeAddressError."""
    inner = StaticResolver({"mixed.test": ["10.0.0.1", "8.8.8.8", "::1"], "evil.test": ["127.0.0.1", "fd00::1"]})
    resolver = GuardedResolver(AddressPolicy(), inner)
    assert [r["host"] for r in await resolver.resolve("mixed.test", 443)] == ["8.8.8.8"]
    with pytest.raises(UnsafeAddressError):
        await resolver.resolve("evil.test", 443)
    allowing = GuardedResolver(AddressPolicy(["127.0.0.0/8"]), inner)
    assert [r["host"] for r in await allowing.resolve("evil.test", 443)] == ["127.0.0.1"]
    await resolver.close()
    assert inner.closed


async def test_real_client_refuses_loopback_by_default() -> None:
    """The aiohttp-backed client never contacts a loopback server unless 127.0.0.0/8 is allowed."""
    async with serve({"/": hello}) as (port, seen):
        client = build_client(AddressPolicy(), user_agent="causeway-test")
        try:
            for url in (f"http://127.0.0.1:{port}/", f"http://2130706433:{port}/",
                        f"http://localhost:{port}/", f"http://[::ffff:127.0.0.1]:{port}/"):
                with pytest.raises(UnsafeAddressError):
                    await request(client, "GET", url)
        finally:
            await close_client(client)
        assert seen == []


async def test_real_client_checks_resolved_addresses_at_connect_time() -> None:
    """A name resolving to loopback is refused by the connector; allowed, it connects to that IP."""
    async with serve({"/": hello}) as (port, seen):
        resolver = StaticResolver({"peer.test": ["127.0.0.1"]})
        client = build_client(AddressPolicy(), user_agent="causeway-test", resolver=resolver)
        try:
            with pytest.raises(UnsafeAddressError):
                await request(client, "GET", f"http://peer.test:{port}/")
        finally:
            await close_client(client)
        assert seen == []
        assert resolver.closed
        client = build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="causeway-test",
                              resolver=StaticResolver({"peer.test": ["127.0.0.1"]}))
        async with client:
            response = await request(client, "GET", f"http://peer.test:{port}/")
        assert (response.status, response.body) == (200, b"hello")
        assert seen[0].headers["Host"] == f"peer.test:{port}"
        assert seen[0].headers["User-Agent"] == "causeway-test"


async def test_real_client_allowed_loopback_works_and_reuses_connections() -> None:
    """With 127.0.0.0/8 allowed the request succeeds, and keep-alive reuses the connection."""
    async with serve({"/": hello}) as (port, seen):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            first = await request(client, "GET", f"http://127.0.0.1:{port}/")
            second = await request(client, "GET", f"http://127.0.0.1:{port}/")
        assert first.status == second.status == 200
        assert first.url == f"http://127.0.0.1:{port}/"
        assert seen[0].transport is seen[1].transport


async def test_byte_cap_applies_while_streaming() -> None:
    """A body over max_bytes raises ResponseTooLarge, with or without Content-Length."""

    async def big(req: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def chunked(req: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(req)
        for _ in range(10):
            await response.write(b"y" * 500)
        return response

    async with serve({"/big": big, "/chunked": chunked}) as (port, _):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            for path in ("/big", "/chunked"):
                with pytest.raises(ResponseTooLarge):
                    await request(client, "GET", f"http://127.0.0.1:{port}{path}", max_bytes=1000)
                ok = await request(client, "GET", f"http://127.0.0.1:{port}{path}", max_bytes=5000)
                assert len(ok.body) == 5000


async def test_deadline_bounds_a_slow_server() -> None:
    """A server that stalls past the deadline yields FetchError soon after the deadline."""

    async def slow(req: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async with serve({"/slow": slow}) as (port, _):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            started = time.monotonic()
            with pytest.raises(FetchError, match="within"):
                await request(client, "GET", f"http://127.0.0.1:{port}/slow", deadline=0.5)
            assert time.monotonic() - started < 1.5


async def test_refused_connection_and_bad_schemes_are_fetch_errors() -> None:
    """A closed port, a file: URL and a garbage URL all raise FetchError, nothing else."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
        for url in (f"http://127.0.0.1:{port}/", "file:///etc/passwd", "gopher://example.com/", "http://"):
            with pytest.raises(FetchError):
                await request(client, "GET", url, deadline=2)


async def test_injected_transport_is_still_guarded() -> None:
    """With a mock transport, literals and (given a resolver) resolved names are still checked."""
    calls: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(302, headers={"Location": "http://10.0.0.1/"}, text="moved")

    transport = httpx.MockTransport(handler)
    async with build_client(AddressPolicy(), transport=transport, user_agent="ua/1") as client:
        with pytest.raises(UnsafeAddressError):
            await request(client, "GET", "http://10.0.0.1/")
        with pytest.raises(UnsafeAddressError):
            await client.get("http://[fd00::1]/")
        response = await request(client, "GET", "http://peer.example/x", headers={"X-A": "1"})
    assert response.status == 302
    assert [str(c.url) for c in calls] == ["http://peer.example/x"]
    assert calls[0].headers["User-Agent"] == "ua/1"
    resolver = StaticResolver({"rebind.example": ["10.0.0.5"], "ok.example": ["8.8.4.4"]})
    async with build_client(AddressPolicy(), transport=transport, user_agent="t", resolver=resolver) as client:
        with pytest.raises(UnsafeAddressError):
            await request(client, "GET", "https://rebind.example/")
        await request(client, "GET", "https://ok.example/")
    assert len(calls) == 2


async def test_callable_signer_and_no_cookie_jar() -> None:
    """A sync or async signing callable sees every request; peers' cookies are not sent back."""
    calls: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"}, text="ok")

    async def async_sign(req: httpx.Request) -> None:
        req.headers["Signature"] = "async"

    def sync_sign(req: httpx.Request) -> None:
        req.headers["Signature"] = "sync"

    async with build_client(AddressPolicy(), transport=httpx.MockTransport(handler), user_agent="t") as client:
        await request(client, "GET", "https://peer.example/a", auth=async_sign)
        await request(client, "POST", "https://peer.example/b", auth=sync_sign, content=b"{}")
    assert [c.headers.get("Signature") for c in calls] == ["async", "sync"]
    assert "cookie" not in calls[1].headers
    assert calls[1].content == b"{}"


async def test_idle_connections_are_kept_for_the_most_recent_servers_only() -> None:
    """After POSTs to four servers with room for two servers' idle connections, the two first servers' connections
    are closed (a fan-out to 10,000 instances no longer keeps 10,000 sockets open) and the two last are reused."""
    async def accept(request: web.Request) -> web.Response:
        return web.Response(status=202)

    async with contextlib.AsyncExitStack() as stack:
        runners = []
        for _ in range(4):
            app = web.Application()
            app.router.add_post("/inbox", accept)
            runner = web.AppRunner(app, shutdown_timeout=0.2)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            stack.push_async_callback(runner.cleanup)
            runners.append(runner)
        connector = IdleBoundConnector(limit=200, limit_per_host=8, keepalive_timeout=30.0, max_idle_hosts=2)
        async with aiohttp.ClientSession(connector=connector) as session:
            for runner in runners:
                async with session.post(f"http://127.0.0.1:{runner.addresses[0][1]}/inbox", data=b"{}") as response:
                    assert response.status == 202
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and [len(r.server.connections) for r in runners] != [0, 0, 1, 1]:
                await asyncio.sleep(0.02)
            assert [len(r.server.connections) for r in runners] == [0, 0, 1, 1]
            async with session.post(f"http://127.0.0.1:{runners[3].addresses[0][1]}/inbox", data=b"{}") as response:
                assert response.status == 202
            assert [len(r.server.connections) for r in runners] == [0, 0, 1, 1]  # the idle one was reused


@contextlib.asynccontextmanager
async def inbox_server(delay: float = 0.0, handler=None) -> AsyncIterator[tuple[int, list[tuple[dict, bytes]]]]:
    """An aiohttp server on 127.0.0.1 answering POST /inbox with 202 (after ``delay``), or with ``handler``; yields
    port and (headers, body) seen."""
    seen: list[tuple[dict, bytes]] = []

    async def inbox(req: web.Request) -> web.Response:
        seen.append((dict(req.headers), await req.read()))
        await asyncio.sleep(delay)
        return web.Response(status=202, text="accepted")

    app = web.Application()
    app.router.add_post("/inbox", handler or inbox)
    runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1], seen
    finally:
        await runner.cleanup()


async def test_direct_post_is_guarded_like_the_httpx_path() -> None:
    """client.direct refuses loopback literals and names resolving to loopback unless allowed; then it posts."""
    async with inbox_server() as (port, seen):
        client = build_client(AddressPolicy(), user_agent="causeway-test",
                              resolver=StaticResolver({"peer.test": ["127.0.0.1"]}))
        try:
            for url in (f"http://127.0.0.1:{port}/inbox", f"http://peer.test:{port}/inbox", f"http://localhost:{port}/inbox",
                        f"http://[::1]:{port}/inbox", f"http://0x7f.1:{port}/inbox", f"http://2130706433:{port}/inbox",
                        f"http://[::ffff:127.0.0.1]:{port}/inbox"):
                with pytest.raises(UnsafeAddressError):
                    await client.direct.post(url, headers={}, body=b"{}")
        finally:
            await close_client(client)
        assert seen == []
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="causeway-test",
                                resolver=StaticResolver({"peer.test": ["127.0.0.1"]})) as client:
            response = await client.direct.post(f"http://peer.test:{port}/inbox", body=b'{"a":1}',
                                                headers={"Content-Type": "application/activity+json", "Digest": "x"})
        assert (response.status, response.body) == (202, b"accepted")
        ((headers, body),) = seen
        assert body == b'{"a":1}' and headers["Host"] == f"peer.test:{port}" and headers["Digest"] == "x"
        assert headers["User-Agent"] == "causeway-test"


async def test_direct_post_deadline_covers_a_body_sent_slowly() -> None:
    """A server that answers its headers at once and then drips its body past the deadline is cut off there."""
    async def dripping(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=202)
        await response.prepare(request)
        for _ in range(30):
            await response.write(b"x")
            await asyncio.sleep(0.1)
        return response

    async with inbox_server(handler=dripping) as (port, _):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            started = time.monotonic()
            with pytest.raises(FetchError, match="within 0.5 s"):
                await client.direct.post(f"http://127.0.0.1:{port}/inbox", headers={}, body=b"", deadline=0.5)
            assert time.monotonic() - started < 1.5


def test_host_literal_verdicts_are_remembered_per_policy() -> None:
    """The same host gets the same verdict again (from memory), each policy its own; over-long hosts are still checked."""
    strict, loopback = AddressPolicy(), AddressPolicy(["127.0.0.0/8"])
    for _ in range(2):
        with pytest.raises(UnsafeAddressError, match="private, loopback or reserved"):
            strict.check_host_literal("127.0.0.1")
        loopback.check_host_literal("127.0.0.1")
    with pytest.raises(UnsafeAddressError):
        strict.check_host_literal("[" + "0:" * 200 + ":1]")


async def test_direct_post_failures_are_fetch_errors() -> None:
    """A deadline passed, a refused connection and a bad scheme all raise FetchError; without a session there is no direct path."""
    async with inbox_server(delay=3) as (port, _):
        async with build_client(AddressPolicy(["127.0.0.0/8"]), user_agent="t") as client:
            started = time.monotonic()
            with pytest.raises(FetchError, match="within"):
                await client.direct.post(f"http://127.0.0.1:{port}/inbox", headers={}, body=b"", deadline=0.5)
            assert time.monotonic() - started < 1.5
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                closed = sock.getsockname()[1]
            for url in (f"http://127.0.0.1:{closed}/inbox", "file:///etc/passwd", "http://", "http:///inbox", "http://[::1/inbox"):
                with pytest.raises(FetchError):
                    await client.direct.post(url, headers={}, body=b"", deadline=2)
    injected = build_client(AddressPolicy(), user_agent="t", transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    assert injected.direct is None
    await close_client(injected)
