"""Fetching ActivityStreams and plain JSON documents under the origin rules.

A document fetched from URL U counts only if it is served as ActivityStreams and its ``id`` is U
(or the URL a same-host redirect led to); otherwise its ``id`` is fetched once more and must
return itself, on U's host. Redirects are followed by hand, each hop going through the guarded
client again, and may not leave the host or downgrade to http. Our own domain is never fetched.
Signed with a ``DoubleKnock`` (the instance actor's, ``Federation.instance_auth``), each GET is signed with
the scheme the server accepted last (draft-cavage when unknown) and sent again with the other on a 401.
Hosts are compared after parsing (``host_of``), never by string prefix.
"""

import asyncio
import ipaddress
import json
import re
from functools import lru_cache

import httpx

from federation.errors import DocumentError, FetchError, OriginError, UnsafeAddressError
from federation.net import Response, Signer, parse_ipv4_number, request
from federation.signatures import DoubleKnock, other_scheme
from federation.urls import through_authority

AS_PROFILE = "https://www.w3.org/ns/activitystreams"
ACTIVITY_TYPES = ("application/activity+json", f'application/ld+json; profile="{AS_PROFILE}"')
ACCEPT_ACTIVITY = ", ".join(ACTIVITY_TYPES)
MAX_DEPTH = 64
MAX_BYTES = 1_048_576

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")


class FetchStatusError(FetchError):
    """The peer answered with an error status; ``status`` is the HTTP status code."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class GoneError(FetchStatusError):
    """The peer answered 410 Gone: the actor or object was deleted."""


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    mime, _, rest = content_type.partition(";")
    params = {}
    for match in _PARAM.finditer(";" + rest):
        value = match.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[match.group(1).lower()] = value
    return mime.strip().lower(), params


def is_activitystreams(content_type: str | None) -> bool:
    """True for application/activity+json, or application/ld+json with the AS2 profile."""
    mime, params = _media_type(content_type or "")
    if mime == "application/activity+json":
        return True
    return mime == "application/ld+json" and AS_PROFILE in params.get("profile", "").split()


def is_json(content_type: str | None) -> bool:
    """True for application/json and any ``+json`` media type."""
    mime, _ = _media_type(content_type or "")
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


_NEEDS_FULL_PARSE = re.compile(r"[\x00-\x20\x7f\\]")
_FAST_PARSE_LENGTH = 4096


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, normalised hostname, port or None when it is the scheme's default).

    The origin depends only on ``scheme://authority``, so that prefix is parsed and cached: the inbox
    asks this of several ids per activity, all new, and a full parse with httpx costs about 0.1 ms
    (bench/RESULTS.md, inbox). URLs with spaces, control characters or backslashes anywhere, or very
    long ones, get the full parse, which refuses what httpx refuses.
    """
    if not isinstance(url, str):
        raise OriginError(f"not a valid URL: {url!r}")
    if 0 < url.find("://") and len(url) <= _FAST_PARSE_LENGTH and not _NEEDS_FULL_PARSE.search(url):
        return _parse_origin(through_authority(url))
    return _parse_origin.__wrapped__(url)


@lru_cache(maxsize=32768)
def _parse_origin(url: str) -> tuple[str, str, int | None]:
    """:func:`_origin` of a whole URL, parsed by httpx (the client's own parser).

    Room for the origins of a fan-out to 10,000+ instances (at most ~8 MB): with 8,192 every such
    fan-out parsed every origin again (bench/RESULTS.md, issue 20.4).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise OriginError(f"not a valid URL: {url!r}") from None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.raw_host:
        raise OriginError(f"not an http(s) URL: {url!r}")
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    try:
        if ":" in host:
            host = f"[{ipaddress.IPv6Address(host.split('%', 1)[0]).compressed}]"
        else:
            numeric = parse_ipv4_number(host)
            host = str(numeric) if numeric is not None else host
    except (ValueError, UnsafeAddressError):
        raise OriginError(f"not a valid host: {url!r}") from None
    return parsed.scheme, host, parsed.port


def host_of(url: str) -> str:
    """The URL's host: lowercase, IDNA, no trailing dot, port only when not the default."""
    _, host, port = _origin(url)
    return f"{host}:{port}" if port is not None else host


def same_host(a: str, b: str) -> bool:
    """True when both URLs parse and name the same host (and port)."""
    try:
        return on_host(a, host_of(b))
    except OriginError:
        return False


def on_host(url: str, host: str) -> bool:
    """True when ``url`` parses and its host is ``host`` (as :func:`host_of` gives it): :func:`same_host` against one
    URL whose host is already known (the inbox compares several ids with the actor's)."""
    try:
        return host_of(url) == host
    except OriginError:
        return False


def _same_resource(a: object, b: str) -> bool:
    """Same scheme, host, path and query (fragment ignored)."""
    if not isinstance(a, str):
        return False
    try:
        return _origin(a) == _origin(b) and httpx.URL(a).raw_path == httpx.URL(b).raw_path
    except OriginError:
        return False


def is_local(url: str, local_host: str | None) -> bool:
    """True when ``url`` is on our domain; a ``local_host`` without a port covers all its ports."""
    if not local_host:
        return False
    scheme, host, port = _origin(url)
    _, ours, our_port = _origin(f"http://{local_host}")
    return host == ours and (our_port is None or our_port == (port or _DEFAULT_PORTS[scheme]))


def check_depth(body: bytes, limit: int = MAX_DEPTH) -> None:
    """Raise DocumentError when JSON ``body`` nests arrays/objects deeper than ``limit`` (iterative)."""
    if body.count(b"{") + body.count(b"[") <= limit:
        return  # cannot nest deeper than it has brackets: the common case, without tokenising
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPENERS:
            depth += 1
            if depth > limit:
                raise DocumentError(f"JSON nested deeper than {limit} levels")
        else:
            depth -= 1


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""One decoder for every document (``json.loads`` with an argument builds a new one per call)."""


def parse_object(body: bytes) -> dict:
    """Parse ``body`` as a JSON object, refusing deep nesting, NaN/Infinity and non-objects."""
    check_depth(body)
    try:
        value = _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except ValueError as exc:
        raise DocumentError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DocumentError("JSON document is not an object")
    return value


async def _signed_get(
    client: httpx.AsyncClient, url: str, *, accept: str, sign: httpx.Auth | Signer | DoubleKnock | None,
    deadline: float, max_bytes: int,
) -> Response:
    """One GET; with a DoubleKnock, signed with the scheme the host accepted last and again with the other on a 401."""
    if not isinstance(sign, DoubleKnock):
        return await request(client, "GET", url, headers={"Accept": accept}, auth=sign, deadline=deadline, max_bytes=max_bytes)
    end = asyncio.get_running_loop().time() + deadline
    host = host_of(url)
    scheme = await sign.memory.first(host)
    response = await request(client, "GET", url, headers={"Accept": accept}, auth=sign.auth(scheme),
                             deadline=deadline, max_bytes=max_bytes)
    if response.status == 401:
        remaining = end - asyncio.get_running_loop().time()
        if remaining <= 0:
            return response
        scheme = other_scheme(scheme)
        response = await request(client, "GET", url, headers={"Accept": accept}, auth=sign.auth(scheme),
                                 deadline=remaining, max_bytes=max_bytes)
    if response.status != 401:
        await sign.memory.accepted(host, scheme)
    return response


async def _get(
    client: httpx.AsyncClient, url: str, *, accept: str, sign: httpx.Auth | Signer | DoubleKnock | None,
    max_redirects: int, end: float, max_bytes: int, local_host: str | None,
) -> Response:
    """GET ``url``, following at most ``max_redirects`` same-host redirects; fail on non-2xx."""
    loop = asyncio.get_running_loop()
    try:
        _origin(url)
    except OriginError as exc:
        raise FetchError(exc.reason) from None
    current = url
    for _ in range(max_redirects + 1):
        if is_local(current, local_host):
            raise FetchError("refusing to fetch our own domain")
        remaining = end - loop.time()
        if remaining <= 0:
            raise FetchError(f"deadline exceeded while fetching {url}")
        response = await _signed_get(client, current, accept=accept, sign=sign, deadline=remaining, max_bytes=max_bytes)
        if response.status not in _REDIRECTS:
            break
        location = response.headers.get("location")
        if not location:
            raise FetchError(f"HTTP {response.status} without a Location from {host_of(current)}")
        target = str(httpx.URL(current).join(location))
        if not same_host(target, current):
            raise OriginError(f"{host_of(current)} redirected to another host: {target}")
        if _origin(current)[0] == "https" and _origin(target)[0] != "https":
            raise FetchError(f"{host_of(current)} redirected from https to http")
        current = target
    else:
        raise FetchError(f"more than {max_redirects} redirects from {url}")
    if response.status == 410:
        raise GoneError(f"{current} is gone (HTTP 410)", 410)
    if not 200 <= response.status < 300:
        raise FetchStatusError(f"HTTP {response.status} from {host_of(current)}", response.status)
    return response


async def fetch_document(
    client: httpx.AsyncClient,
    url: str,
    *,
    sign: httpx.Auth | Signer | DoubleKnock | None = None,
    accept: str = ACCEPT_ACTIVITY,
    max_redirects: int = 3,
    deadline: float = 10.0,
    max_bytes: int = MAX_BYTES,
    local_host: str | None = None,
) -> dict:
    """Fetch an ActivityStreams object whose ``id`` is ``url`` (or refetched from its own id)."""
    end = asyncio.get_running_loop().time() + deadline
    options = dict(accept=accept, sign=sign, max_redirects=max_redirects, end=end,
                   max_bytes=max_bytes, local_host=local_host)
    response = await _get(client, url, **options)
    document = _activity_document(response)
    claimed = document["id"]
    if _same_resource(claimed, url) or _same_resource(claimed, response.url):
        return document
    if not same_host(claimed, url):
        raise OriginError(f"document fetched from {host_of(url)} claims the id {claimed!r}")
    document = _activity_document(await _get(client, claimed, **options))
    if not _same_resource(document["id"], claimed):
        raise OriginError(f"{claimed} serves a document with the id {document['id']!r}")
    return document


def _activity_document(response: Response) -> dict:
    """Require an AS2 content type, a JSON object and a string ``id``."""
    if not is_activitystreams(response.headers.get("content-type")):
        raise DocumentError("not an ActivityStreams document")
    document = parse_object(response.body)
    if not isinstance(document.get("id"), str):
        raise DocumentError("the document has no id")
    return document


async def fetch_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    sign: httpx.Auth | Signer | DoubleKnock | None = None,
    accept: str = "application/json",
    max_redirects: int = 3,
    deadline: float = 10.0,
    max_bytes: int = MAX_BYTES,
    local_host: str | None = None,
) -> dict:
    """Fetch a JSON object (WebFinger, NodeInfo): same caps and redirect rules, no id rule."""
    end = asyncio.get_running_loop().time() + deadline
    response = await _get(client, url, accept=accept, sign=sign, max_redirects=max_redirects,
                          end=end, max_bytes=max_bytes, local_host=local_host)
    if not is_json(response.headers.get("content-type")):
        raise DocumentError("not a JSON document")
    return parse_object(response.body)
