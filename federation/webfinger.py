"""WebFinger (RFC 7033) and host-meta (RFC 6415): answering for local actors and looking up remote handles.

Server side, ``webfinger_document`` answers for

- a group: ``acct:slug@DOMAIN`` (also ``slug@DOMAIN`` and ``@slug@DOMAIN``) or its actor URL. Private
  groups answer too: people must be able to find them to ask to join;
- the instance actor (FEP-2677): ``acct:HOST@DOMAIN`` (Mastodon's convention), its actor URL, and,
  per FEP-d556, the server prefix ``{base}/`` itself. Its name is checked before group slugs, so
  a group can never answer for the server's own handle.

The host of an ``acct:`` resource is compared after normalising (case, IDNA, trailing dot, default
port), so ``acct:Climate@HUB.Example`` finds ``climate`` on ``hub.example``; a non-default port is
part of the domain and must match.

Client side, ``resolve_handle`` turns ``@name@host`` into an actor URL through the host's open
(unsigned) WebFinger endpoint, and ``subscribe_template`` reads a person's "follow from your server"
template (``http://ostatus.org/schema/1.0/subscribe``). Every failure is a ``DiscoveryError`` whose
reason a person can act on.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import quoteattr

import httpx

from federation.context import Federation
from federation.errors import DiscoveryError, FetchError, OriginError
from federation.fetch import FetchStatusError, fetch_json, host_of, is_activitystreams
from hub.models import Group

JRD_TYPE = "application/jrd+json"
AS_TYPE = "application/activity+json"
REL_SELF = "self"
REL_PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
REL_SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
REL_APPLICATION = "https://www.w3.org/ns/activitystreams#Application"
AS_TYPE_PROPERTY = "https://www.w3.org/ns/activitystreams#type"
XRD_NAMESPACE = "http://docs.oasis-open.org/ns/xri/xrd-1.0"
HANDLE_HINT = "write it as @name@server.example"

_NAME = re.compile(r"^[\w.~+%-]{1,255}$")
_HOSTNAME = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[^\W_](?:[\w.-]{0,251}[^\W_])?\.?)(?::\d{1,5})?$")


# --- server side -------------------------------------------------------------------------------


async def webfinger_document(fed: Federation, resource: str) -> dict[str, Any] | None:
    """The JRD for ``resource`` when it names a local group or the instance actor, else None."""
    resource = (resource or "").strip()
    if resource.lower().startswith(("http://", "https://")):
        return await _document_for_url(fed, resource)
    account = _split_account(resource)
    if account is None:
        return None
    name, host = account
    if not _is_our_host(fed, host):
        return None
    if name.lower() == instance_username(fed):
        return _instance_jrd(fed, subject=_instance_acct(fed))
    return await _group_jrd(fed, name.lower())


def instance_username(fed: Federation) -> str:
    """The user part of the instance actor's handle: the hub's host name without port."""
    return (urlsplit(fed.urls.base).hostname or fed.urls.host).lower()


def host_meta_xml(fed: Federation) -> str:
    """The host-meta XRD document pointing clients at this hub's WebFinger endpoint (lrdd)."""
    template = quoteattr(_lrdd_template(fed))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<XRD xmlns="{XRD_NAMESPACE}">\n'
        f'  <Link rel="lrdd" template={template}/>\n'
        "</XRD>\n"
    )


def host_meta_json(fed: Federation) -> dict[str, Any]:
    """The host-meta document in its JSON form (``/.well-known/host-meta.json``)."""
    return {"links": [{"rel": "lrdd", "template": _lrdd_template(fed)}]}


def _lrdd_template(fed: Federation) -> str:
    return f"{fed.urls.base}/.well-known/webfinger?resource={{uri}}"


def _split_account(resource: str) -> tuple[str, str] | None:
    """(name, host) of ``acct:name@host``, ``name@host`` or ``@name@host``; None for anything else."""
    text = resource[5:] if resource[:5].lower() == "acct:" else resource
    text = text.removeprefix("@")
    name, separator, host = text.rpartition("@")
    name = unquote(name)
    if not separator or not _NAME.match(name) or not _HOSTNAME.match(host):
        return None
    return name, host


def _is_our_host(fed: Federation, host: str) -> bool:
    """Whether ``host`` (host[:port] as written in a handle) is this hub's domain."""
    try:
        return host_of(f"{fed.settings.scheme}://{host}/") == host_of(fed.urls.base)
    except OriginError:
        return False


async def _document_for_url(fed: Federation, resource: str) -> dict[str, Any] | None:
    try:
        parts = urlsplit(resource)
        ours = host_of(resource) == host_of(fed.urls.base)
    except (ValueError, OriginError):
        return None
    if not ours or parts.query or parts.fragment:
        return None
    if parts.path in ("", "/"):
        return _instance_jrd(fed, subject=f"{fed.urls.base}/")
    canonical = fed.urls.base + parts.path
    if canonical == fed.urls.instance_actor:
        return _instance_jrd(fed, subject=_instance_acct(fed))
    slug = fed.urls.group_slug(canonical)
    return await _group_jrd(fed, slug) if slug else None


def _instance_acct(fed: Federation) -> str:
    return f"acct:{instance_username(fed)}@{fed.urls.host}"


def _instance_jrd(fed: Federation, *, subject: str) -> dict[str, Any]:
    """The instance actor (an Application, FEP-2677), discoverable as FEP-d556 describes."""
    actor = fed.urls.instance_actor
    return {
        "subject": subject,
        "aliases": [actor],
        "links": [
            {"rel": REL_SELF, "type": AS_TYPE, "href": actor},
            {"rel": REL_APPLICATION, "type": AS_TYPE, "href": actor},
            {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": f"{fed.urls.base}/about"},
        ],
    }


async def _group_jrd(fed: Federation, slug: str) -> dict[str, Any] | None:
    """A group's JRD; private groups included, so people can find them and ask to join."""
    if len(slug) > 64:
        return None
    group = await Group.get_or_none(slug=slug, deleted_at__isnull=True, suspended_at__isnull=True)
    if group is None:
        return None
    actor = fed.urls.group(group.slug)
    return {
        "subject": f"acct:{group.slug}@{fed.urls.host}",
        "aliases": [actor],
        "links": [
            {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": actor},
            {"rel": REL_SELF, "type": AS_TYPE, "href": actor, "properties": {AS_TYPE_PROPERTY: "Group"}},
        ],
    }


# --- client side -------------------------------------------------------------------------------


def parse_handle(handle: str) -> tuple[str, str]:
    """(name, host) of ``@name@host``, ``name@host``, ``acct:name@host`` or ``!name@host`` (how Lemmy and Mbin
    write a community); DiscoveryError otherwise."""
    text = (handle or "").strip()
    shown = text or "an empty handle"
    if text.startswith("!") and not text.startswith("!@"):
        text = text[1:]
    if text.lower().startswith(("http://", "https://")):
        raise DiscoveryError(f"{shown} is a URL, not a handle: {HANDLE_HINT}")
    account = _split_account(text)
    if account is None:
        if "@" not in text.removeprefix("@"):
            raise DiscoveryError(f"{shown} has no server name: {HANDLE_HINT}")
        raise DiscoveryError(f"{shown} is not a fediverse handle: {HANDLE_HINT}")
    name, host = account
    normalised = _normalise_host(host)
    if normalised is None:
        raise DiscoveryError(f"{shown} does not name a valid server: {HANDLE_HINT}")
    return name, normalised


def _normalise_host(host: str) -> str | None:
    """Lower-case, IDNA-encoded host with its port as written; None when it does not parse."""
    hostname, port = host, ""
    match = re.match(r"^(.*?)(:\d{1,5})$", host)
    if match and not host.endswith("]"):
        hostname, port = match.group(1), match.group(2)
    try:
        raw = httpx.URL(f"http://{hostname.rstrip('.')}/").raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError):
        return None
    if not raw:
        return None
    if ":" in raw:
        raw = f"[{raw}]"
    return raw.lower() + port


def remote_scheme(fed: Federation, host: str) -> str:
    """``http`` for an IP literal or localhost inside the allowed private ranges (test setups), else ``https``."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    name = name.rstrip(".")
    allowed = [ipaddress.ip_network(cidr, strict=False) for cidr in fed.settings.allow_private_addresses]
    if name == "localhost" or name.endswith(".localhost"):
        addresses = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    else:
        try:
            addresses = [ipaddress.ip_address(name)]
        except ValueError:
            return "https"
    if any(address in network for address in addresses for network in allowed):
        return "http"
    return "https"


async def webfinger_lookup(fed: Federation, handle: str) -> dict[str, Any]:
    """The JRD a handle's server gives for it (answered locally for this hub's own handles)."""
    name, host = parse_handle(handle)
    resource = f"acct:{name}@{host}"
    if _is_our_host(fed, host):
        document = await webfinger_document(fed, resource)
        if document is None:
            raise DiscoveryError(f"this hub does not know @{name}@{host}")
        return document
    url = f"{remote_scheme(fed, host)}://{host}/.well-known/webfinger?resource={quote(resource, safe=':@')}"
    try:
        document = await fetch_json(
            fed.client, url, accept=f"{JRD_TYPE}, application/json", local_host=fed.urls.host
        )
    except FetchStatusError as exc:
        if exc.status in (404, 410):
            raise DiscoveryError(f"{host} does not know @{name}") from None
        raise DiscoveryError(f"could not look up @{name}@{host}: {exc.reason}") from None
    except (FetchError, OriginError) as exc:
        raise DiscoveryError(f"could not reach {host} ({exc.reason})") from None
    return document


def _links(document: dict[str, Any]) -> list[dict[str, Any]]:
    links = document.get("links")
    return [link for link in links if isinstance(link, dict)] if isinstance(links, list) else []


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 1024:
        return False
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def actor_link(document: dict[str, Any]) -> str | None:
    """The href of a JRD's ``self`` link typed as ActivityStreams (activity+json preferred), or None."""
    candidates = [
        link for link in _links(document)
        if link.get("rel") == REL_SELF
        and isinstance(link.get("type"), str)
        and is_activitystreams(link["type"])
        and _is_http_url(link.get("href"))
    ]
    candidates.sort(key=lambda link: link["type"].split(";")[0].strip().lower() != AS_TYPE)
    return candidates[0]["href"] if candidates else None


async def resolve_handle(fed: Federation, handle: str) -> str:
    """The ActivityPub actor URL of ``@name@host``, found with WebFinger; DiscoveryError otherwise."""
    document = await webfinger_lookup(fed, handle)
    href = actor_link(document)
    if href is None:
        name, host = parse_handle(handle)
        raise DiscoveryError(f"{host} knows @{name} but lists no ActivityPub actor for it")
    return href


async def subscribe_template(fed: Federation, handle: str) -> str | None:
    """The handle's "follow from your server" URL template (contains ``{uri}``), or None if it has none."""
    document = await webfinger_lookup(fed, handle)
    for link in _links(document):
        template = link.get("template")
        if (
            link.get("rel") == REL_SUBSCRIBE
            and isinstance(template, str)
            and "{uri}" in template
            and _is_http_url(template.replace("{uri}", "x"))
        ):
            return template
    return None


async def resolve_actor_url(fed: Federation, handle_or_url: str) -> str:
    """An actor URL given as such (http or https only) or as a handle resolved with WebFinger."""
    text = (handle_or_url or "").strip()
    if "://" in text:
        if not _is_http_url(text):
            raise DiscoveryError(f"{text} is not an http(s) URL: give an actor URL or {HANDLE_HINT}")
        return text
    return await resolve_handle(fed, text)
