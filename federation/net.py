"""The hub's one outbound HTTP client, guarded against server-side request forgery.

``AddressPolicy`` decides which IP addresses may be contacted. ``build_client`` returns an
``httpx.AsyncClient`` over ``httpx_aiohttp.AiohttpTransport`` whose aiohttp connector resolves
names through ``GuardedResolver``: aiohttp connects only to the addresses a resolver returns, so
every address is checked at connect time (no DNS-rebinding gap). IP literals never reach the
resolver in aiohttp, so ``GuardTransport`` checks scheme and literal hosts of every request.

``request`` sends once (no redirects) with a total deadline (``asyncio.timeout``: httpx-aiohttp
ignores some timeouts) and a streamed byte cap; transport failures become ``FetchError``.
``client.direct`` (a ``DirectPoster``) does the same for a POST of bytes straight through the
client's aiohttp session, without httpx: deliveries use it (bench/RESULTS.md, transport).
"""

import asyncio
import functools
import http.cookiejar
import inspect
import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from httpx_aiohttp import AiohttpTransport

from federation.errors import FetchError, ResponseTooLarge, UnsafeAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOOPBACK_V4 = ipaddress.IPv4Address("127.0.0.1")


def parse_ipv4_number(host: str) -> ipaddress.IPv4Address | None:
    """Read ``host`` the way inet_aton does ("127.1", "0x7f.1", "2130706433"); None if not numeric."""
    values = [_number(part) for part in host.split(".")]
    if None in values:
        return None
    if len(values) > 4 or any(v > 255 for v in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise UnsafeAddressError(f"{host!r} is not a valid IPv4 address")
    return ipaddress.IPv4Address(values[-1] + sum(v << (24 - 8 * i) for i, v in enumerate(values[:-1])))


def _number(part: str) -> int | None:
    """One inet_aton component: decimal, 0-prefixed octal or 0x-prefixed hex; None otherwise."""
    lower = part.lower()
    if lower.startswith("0x"):
        digits, base = lower[2:] or "0", 16
    elif len(lower) > 1 and lower.startswith("0"):
        digits, base = lower[1:], 8
    else:
        digits, base = lower, 10
    if not (digits.isascii() and digits.isalnum()):
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses the hub may contact: public ones, plus the explicitly allowed CIDRs."""

    allowed_cidrs: Sequence[str] = ()
    _allowed: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        allowed = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.allowed_cidrs)
        object.__setattr__(self, "allowed_cidrs", tuple(self.allowed_cidrs))
        object.__setattr__(self, "_allowed", allowed)

    def check_ip(self, ip: str) -> None:
        """Raise UnsafeAddressError unless ``ip`` is public or inside an allowed CIDR."""
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            raise UnsafeAddressError(f"{ip!r} is not an IP address") from None
        self._check(address)

    def _check(self, address: IPAddress) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._allowed):
            return
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                self._check(embedded)
        if any(address in network for network in _BLOCKED_NETWORKS) or not address.is_global:
            raise UnsafeAddressError(f"{address} is a private, loopback or reserved address")

    def check_host_literal(self, host: str) -> None:
        """Refuse a URL host that is an unsafe IP literal (any inet_aton form) or a localhost name.

        The verdict is remembered per host (a fan-out checks the same servers for every post).
        """
        if len(host) > 255:  # no host name is longer: checked, not remembered
            self._check_literal(host)
            return
        refusal = _literal_refusal(self, host)
        if refusal is not None:
            raise UnsafeAddressError(refusal)

    def _check_literal(self, host: str) -> None:
        name = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
        if not name:
            raise UnsafeAddressError("empty host")
        if ":" in name:
            self.check_ip(name)
            return
        numeric = parse_ipv4_number(name)
        if numeric is not None:
            self._check(numeric)
        elif name == "localhost" or name.endswith(".localhost"):
            if not any(_LOOPBACK_V4 in network for network in self._allowed):
                raise UnsafeAddressError(f"{host!r} names this machine")


@functools.lru_cache(maxsize=32768)
def _literal_refusal(policy: AddressPolicy, host: str) -> str | None:
    """Why ``policy`` refuses the URL host ``host``, or None."""
    try:
        policy._check_literal(host)
    except UnsafeAddressError as exc:
        return exc.reason
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that drops unsafe addresses and refuses a name with no safe address.

    ``inner`` defaults to aiohttp's DefaultResolver, made on first use (it needs a running loop).
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve with the inner resolver and keep only the addresses the policy allows."""
        self._policy.check_host_literal(host)
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        safe = [result for result in results if _is_safe(self._policy, result["host"])]
        if not safe:
            raise UnsafeAddressError(f"{host} resolves only to private or reserved addresses")
        return safe

    async def close(self) -> None:
        """Close the inner resolver."""
        if self._inner is not None:
            await self._inner.close()


def _is_safe(policy: AddressPolicy, ip: str) -> bool:
    try:
        policy.check_ip(ip)
    except UnsafeAddressError:
        return False
    return True


class GuardTransport(httpx.AsyncBaseTransport):
    """Checks scheme and literal hosts of each request, names too if ``resolve_names``; owns ``resolver``."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, policy: AddressPolicy,
        resolver: GuardedResolver | None = None, *, resolve_names: bool = True,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._resolver = resolver
        self._resolve_names = resolve_names

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse unsafe destinations, then hand the request to the inner transport."""
        if request.url.scheme not in ("http", "https"):
            raise FetchError(f"refusing the {request.url.scheme!r} scheme")
        host = request.url.raw_host.decode("ascii")
        self._policy.check_host_literal(host)
        if self._resolve_names and self._resolver is not None and not _is_literal(host):
            await self._resolver.resolve(host, request.url.port or 0, socket.AF_UNSPEC)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the inner transport (and with it the aiohttp session), then the resolver."""
        await self._inner.aclose()
        if self._resolver is not None:
            await self._resolver.close()


def _is_literal(host: str) -> bool:
    return ":" in host or parse_ipv4_number(host.rstrip(".")) is not None


class SessionHolder:
    """The client's one aiohttp session, made on first use (it needs a running loop), for httpx and DirectPoster."""

    def __init__(self, factory: Callable[[], aiohttp.ClientSession]) -> None:
        self._factory = factory
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        """The session, made now if there is none (or it was closed)."""
        if self._session is None or self._session.closed:
            self._session = self._factory()
        return self._session

    async def close(self) -> None:
        """Close the session if one was made."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


class HubClient(httpx.AsyncClient):
    """The hub's httpx client; ``direct`` is its POST path without httpx (None over an injected transport)."""

    direct: "DirectPoster | None" = None

    async def aclose(self) -> None:
        """Close the transport, then the aiohttp session in case only ``direct`` used it."""
        await super().aclose()
        if self.direct is not None:
            await self.direct.sessions.close()

    async def __aexit__(self, *exc_info: object) -> None:
        """``async with`` closes like ``aclose`` (httpx's own exit does not call it)."""
        await super().__aexit__(*exc_info)
        if self.direct is not None:
            await self.direct.sessions.close()


def build_client(
    policy: AddressPolicy, *, transport: httpx.AsyncBaseTransport | None = None, user_agent: str,
    timeout: float = 10.0, resolver: AbstractResolver | None = None,
) -> HubClient:
    """Build the hub's outbound client; close it with ``close_client`` (or ``async with``).

    Without ``transport``: aiohttp with a ``GuardedResolver`` around ``resolver`` (default: aiohttp's
    DefaultResolver) checks every address at connect time; ``client.direct`` posts through the same
    aiohttp session without httpx. With an injected ``transport`` (tests), scheme and IP literals are
    checked, and hostnames only when a ``resolver`` is given; ``client.direct`` is None.
    """
    sessions: SessionHolder | None = None
    if transport is None:
        ssl_context = httpx.create_ssl_context()
        connect_resolver = GuardedResolver(policy, resolver)

        def make_session() -> aiohttp.ClientSession:
            connector = IdleBoundConnector(resolver=connect_resolver, limit=200, limit_per_host=8, keepalive_timeout=30.0,
                                           ssl=ssl_context, ttl_dns_cache=10, max_idle_hosts=MAX_IDLE_HOSTS)
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                         trust_env=False)

        sessions = SessionHolder(make_session)
        aiohttp_transport = AiohttpTransport(verify=ssl_context, client=sessions)
        guarded = GuardTransport(aiohttp_transport, policy, connect_resolver, resolve_names=False)
    else:
        guard_resolver = GuardedResolver(policy, resolver) if resolver is not None else None
        guarded = GuardTransport(transport, policy, guard_resolver)
    client = HubClient(
        transport=guarded,
        headers={"User-Agent": user_agent},
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        follow_redirects=False,
        trust_env=False,
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
    )
    if sessions is not None:
        client.direct = DirectPoster(sessions, policy, user_agent)
    return client


async def close_client(client: httpx.AsyncClient) -> None:
    """Close the client, its transport and its aiohttp session."""
    await client.aclose()


@dataclass(frozen=True)
class Response:
    """A fully read response: status, headers, body bytes and the URL it came from."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def http_target(url: str) -> httpx.URL:
    """``url`` parsed, when it is an http(s) URL with a host; FetchError otherwise."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise FetchError(f"not an http(s) URL: {url!r}")
    return target


def _aiohttp_target(url: str) -> yarl.URL:
    """``url`` parsed as aiohttp parses it, when it is an http(s) URL with a host; FetchError otherwise.

    The delivery path's :func:`http_target`: parsed once, and aiohttp takes the parsed URL as it is
    (a fan-out parsed every inbox twice, with httpx and then aiohttp: bench/RESULTS.md, issue 20.4).
    """
    try:
        target = yarl.URL(url)
    except (ValueError, TypeError) as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise FetchError(f"not an http(s) URL: {url!r}")
    return target


MAX_IDLE_HOSTS = 256
"""Servers whose idle keep-alive connections the client keeps at most (up to 8 each)."""


class IdleBoundConnector(aiohttp.TCPConnector):
    """aiohttp's connector keeping the idle connections of at most ``max_idle_hosts`` servers.

    aiohttp's ``limit`` counts connections in use only: after a fan-out to 10,000 instances every one
    of them kept an idle socket for ``keepalive_timeout`` (10,000 file descriptors and ~40 MB, and the
    next round of a benchmark ran out of descriptors: bench/RESULTS.md, issue 20.4). When a connection
    goes idle and more than ``max_idle_hosts`` servers have idle ones, those of the server that has had
    them longest are closed. (aiohttp keeps idle connections in ``_conns``, ordered by when a server's
    first one went idle; ``_release`` is where one goes idle.)
    """

    def __init__(self, *args: Any, max_idle_hosts: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_idle_hosts = max_idle_hosts

    def _release(self, key: Any, protocol: Any, *, should_close: bool = False) -> None:
        super()._release(key, protocol, should_close=should_close)
        idle = self._conns
        while len(idle) > self.max_idle_hosts:
            oldest = next(iter(idle))
            if oldest == key:
                break
            for stale, _ in idle.pop(oldest):
                stale.close()


@dataclass(frozen=True)
class DirectPoster:
    """POSTs bytes through the client's aiohttp session without httpx: the delivery path.

    bench/transport.py measured httpx over AiohttpTransport at about 0.7× the rate of aiohttp alone,
    and aiohttp with these same guards at 1×, so deliveries (the hub's bulk of requests) skip httpx.
    The guards are the same: scheme and literal hosts checked here, every resolved address by the
    session's GuardedResolver, a total deadline, a byte cap, no redirects, and every failure a
    FetchError. Fetches keep the httpx client (``request``).
    """

    sessions: SessionHolder
    policy: AddressPolicy
    user_agent: str

    async def post(self, url: str, *, headers: Mapping[str, str], body: bytes, deadline: float = 10.0,
                   max_bytes: int = 1_048_576) -> Response:
        """POST ``body`` once with ``headers`` (already signed), within ``deadline`` seconds."""
        target = _aiohttp_target(url)
        self.policy.check_host_literal(target.raw_host or "")
        sent = {"User-Agent": self.user_agent, **headers}
        try:
            # aiohttp's own total timeout (connecting, sending and reading the body), not a second timer around it.
            async with self.sessions().post(target, data=body, headers=sent, allow_redirects=False, auto_decompress=False,
                                            timeout=aiohttp.ClientTimeout(total=deadline)) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise ResponseTooLarge(f"response is larger than {max_bytes} bytes")
                received = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    received += chunk
                    if len(received) > max_bytes:
                        raise ResponseTooLarge(f"response is larger than {max_bytes} bytes")
                return Response(response.status, response.headers, bytes(received), url)
        except TimeoutError:
            raise FetchError(f"no complete response from {target.host} within {deadline} s") from None
        except FetchError:
            raise
        except Exception as exc:  # aiohttp's errors and whatever a malformed answer raises, as in ``request``
            raise FetchError(f"request to {target.host} failed: {type(exc).__name__} {exc}") from None


Signer = Callable[[httpx.Request], object]


class CallableAuth(httpx.Auth):
    """Adapts ``sign(request)`` (sync or async, mutating the request's headers) to httpx.Auth."""

    def __init__(self, sign: Signer) -> None:
        self._sign = sign

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[override]
        """Sign the request once, then send it."""
        result = self._sign(request)
        if inspect.isawaitable(result):
            await result
        yield request


async def request(
    client: httpx.AsyncClient, method: str, url: str, *, headers: Mapping[str, str] | None = None,
    content: bytes | None = None, auth: httpx.Auth | Signer | None = None, deadline: float = 10.0,
    max_bytes: int = 1_048_576,
) -> Response:
    """Send one request (no redirects) within ``deadline`` seconds, reading at most ``max_bytes``."""
    target = http_target(url)
    if auth is not None and not isinstance(auth, httpx.Auth):
        auth = CallableAuth(auth)
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(
                method, target, headers=headers, content=content, auth=auth, follow_redirects=False
            ) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise ResponseTooLarge(f"response is larger than {max_bytes} bytes")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise ResponseTooLarge(f"response is larger than {max_bytes} bytes")
                return Response(response.status_code, response.headers, bytes(body), str(target))
    except TimeoutError:
        raise FetchError(f"no complete response from {target.host} within {deadline} s") from None
    except FetchError:
        raise
    except Exception as exc:  # httpx errors, and what transports leave unmapped (aiohttp's ClientResponseError on a malformed answer)
        raise FetchError(f"request to {target.host} failed: {type(exc).__name__} {exc}") from None

