"""NodeInfo (FEP-f1d5): this hub's own documents, and what software a peer server runs.

Server side: ``/.well-known/nodeinfo`` links the 2.0 and 2.1 documents and, per FEP-2677, the
instance actor (rel ``https://www.w3.org/ns/activitystreams#Application``). Usage counts members
(distinct accounts with an accepted membership) and authors of published posts, since a hub's
"users" are the people in its groups.

Client side: ``peer_software`` reads a peer's ``software.name`` once a day at most, caching it on
its ``Peer`` row, and never raises for network trouble. ``announce_form`` turns that name into the
shape of the group's Announce: FEP-1b12 software gets the activity wrapped unchanged; Mastodon and
everything unknown get an Announce of the object id, the only form Mastodon shows (see
FEDERATION-NOTES).
"""

from __future__ import annotations

import importlib.metadata
import re
from datetime import timedelta
from typing import Any

from tortoise.functions import Count

from federation.context import Federation
from federation.errors import FetchError, OriginError
from federation.fetch import fetch_json, host_of, is_local, same_host
from federation.webfinger import remote_scheme
from hub import __version__
from hub.clock import now
from hub.models import Group, Membership, Peer, Post

SOFTWARE_NAME = "causeway"
DISTRIBUTION = "causeway"
NODEINFO_VERSIONS = ("2.0", "2.1")
SCHEMA_PREFIX = "http://nodeinfo.diaspora.software/ns/schema/"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"
PEER_CACHE_AGE = timedelta(days=1)

MICROBLOG_SOFTWARE = frozenset({
    "mastodon", "hometown", "glitch-soc", "pleroma", "akkoma", "misskey", "sharkey", "firefish",
    "calckey", "foundkey", "iceshrimp", "iceshrimp.net", "cherrypick", "gotosocial", "takahe",
})
"""Servers that show only ``Announce`` of an object id (Mastodon's rule); they get the "object" form."""

GROUP_AWARE_SOFTWARE = frozenset({
    "causeway", "lemmy", "piefed", "mbin", "kbin", "lotide", "friendica", "hubzilla", "nodebb",
    "discourse", "wordpress", "mobilizon",
})
"""FEP-1b12 (or Mobilizon's group model) peers that take the group's ``Announce`` of the activity itself.

PeerTube is deliberately absent: it only takes shares of videos, so it gets the safe default.
"""

_SCHEMA_REL = re.compile(r"^https?://nodeinfo\.diaspora\.software/ns/schema/2\.(\d{1,3})#?$")


# --- server side -------------------------------------------------------------------------------


def schema_rel(version: str) -> str:
    """The JRD relation (and JSON profile) of a NodeInfo schema version."""
    return f"{SCHEMA_PREFIX}{version}"


def nodeinfo_content_type(version: str) -> str:
    """The content type a NodeInfo document of ``version`` is served with."""
    return f'application/json; profile="{schema_rel(version)}#"'


def nodeinfo_links(fed: Federation) -> dict[str, Any]:
    """The ``/.well-known/nodeinfo`` JRD: one link per schema version, then the instance actor (FEP-2677)."""
    links: list[dict[str, str]] = [
        {"rel": schema_rel(version), "href": f"{fed.urls.base}/nodeinfo/{version}"} for version in NODEINFO_VERSIONS
    ]
    links.append({"rel": APPLICATION_REL, "href": fed.urls.instance_actor})
    return {"links": links}


def project_urls() -> dict[str, str]:
    """The package's Project-URL entries by lower-case label (``repository``, ``homepage``, …)."""
    try:
        entries = importlib.metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    return urls


async def nodeinfo_document(fed: Federation, version: str) -> dict[str, Any]:
    """The NodeInfo document of schema ``version`` (2.0 or 2.1; ValueError otherwise)."""
    if version not in NODEINFO_VERSIONS:
        raise ValueError(f"NodeInfo {version!r} is not served; use one of {', '.join(NODEINFO_VERSIONS)}")
    software: dict[str, str] = {"name": SOFTWARE_NAME, "version": __version__}
    if version != "2.0":
        urls = project_urls()
        repository = urls.get("repository") or urls.get("source")
        if repository:
            software["repository"] = repository
        if urls.get("homepage"):
            software["homepage"] = urls["homepage"]
    moment = now()
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {
                "total": await _distinct(Membership.filter(state="accepted"), "account_id"),
                "activeMonth": await _active_authors(moment - timedelta(days=30)),
                "activeHalfyear": await _active_authors(moment - timedelta(days=180)),
            },
            "localPosts": await Post.filter(state="published").count(),
        },
        "metadata": {
            "nodeName": fed.urls.host,
            "groups": await Group.filter(visibility="public").count(),
        },
    }


async def _distinct(query: Any, column: str) -> int:
    """COUNT(DISTINCT column) over a filtered queryset."""
    row = await query.annotate(n=Count(column, distinct=True)).first().values("n")
    return int(row["n"] or 0) if row else 0


async def _active_authors(since: Any) -> int:
    """Distinct authors of published posts published since ``since``."""
    return await _distinct(Post.filter(state="published", published_at__gte=since), "author_id")


# --- client side -------------------------------------------------------------------------------


def announce_form(software: str | None) -> str:
    """``"activity"`` (FEP-1b12 Announce wrapping the activity) for group-aware software, else ``"object"``."""
    name = (software or "").strip().lower()
    return "activity" if name in GROUP_AWARE_SOFTWARE else "object"


async def peer_software(fed: Federation, host: str, *, max_age: timedelta = PEER_CACHE_AGE) -> str | None:
    """The lower-case NodeInfo software name of ``host``, cached on its Peer row; None when unknown.

    A failed fetch is recorded too (``nodeinfo_fetched_at``), so it is retried only after ``max_age``;
    what was known before is returned. Network trouble never raises.
    """
    scheme = remote_scheme(fed, host)
    try:
        normalised = host_of(f"{scheme}://{host.strip()}/")
    except OriginError:
        return None
    if is_local(f"{scheme}://{normalised}/", fed.urls.host):
        return SOFTWARE_NAME
    peer, _ = await Peer.get_or_create(host=normalised)
    moment = now()
    if peer.nodeinfo_fetched_at is not None and moment - peer.nodeinfo_fetched_at < max_age:
        return peer.software
    fields = ["nodeinfo_fetched_at"]
    try:
        name, version = await _fetch_software(fed, f"{scheme}://{normalised}")
    except FetchError:
        pass
    else:
        peer.software, peer.software_version = name, version
        fields += ["software", "software_version"]
    peer.nodeinfo_fetched_at = moment
    await peer.save(update_fields=fields)
    return peer.software


async def _fetch_software(fed: Federation, origin: str) -> tuple[str, str | None]:
    """(name, version) from the highest 2.x NodeInfo on ``origin``; FetchError when there is none."""
    well_known = f"{origin}/.well-known/nodeinfo"
    try:
        links = await fetch_json(fed.client, well_known, local_host=fed.urls.host)
        href, schema = _best_link(links, well_known)
        document = await fetch_json(
            fed.client, href, accept=f"{nodeinfo_content_type(schema)}, application/json", local_host=fed.urls.host
        )
    except OriginError as exc:
        raise FetchError(exc.reason) from None
    software = document.get("software")
    name = software.get("name") if isinstance(software, dict) else None
    name = _printable(name).lower() if isinstance(name, str) else ""
    if not SOFTWARE_NAME_RE.match(name):
        raise FetchError(f"{href} names no usable software name")
    raw_version = software.get("version")
    software_version = _printable(raw_version)[:64] if isinstance(raw_version, str) else ""
    return name, software_version or None


def _printable(value: str) -> str:
    """``value`` without control characters (NUL breaks PostgreSQL text), stripped."""
    return "".join(ch for ch in value if ch.isprintable()).strip()


SOFTWARE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
"""What NodeInfo 2.x allows as software.name (lower-case letters, digits, ., _ and -)."""


def _best_link(document: dict[str, Any], well_known: str) -> tuple[str, str]:
    """(href, version) of the highest 2.x schema link on the same host; FetchError when none."""
    best: tuple[int, str] | None = None
    links = document.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or not isinstance(link.get("rel"), str) or not isinstance(link.get("href"), str):
            continue
        match = _SCHEMA_REL.match(link["rel"].strip())
        if match is None or not same_host(link["href"], well_known):
            continue
        minor = int(match.group(1))
        if best is None or minor > best[0]:
            best = (minor, link["href"])
    if best is None:
        raise FetchError(f"{well_known} links no NodeInfo 2.x document on its own host")
    return best[1], f"2.{best[0]}"
