"""Domain blocks as rules: which domain an account is on, and whether the instance or a group blocks it.

A block of ``example.com`` covers ``example.com`` and every subdomain (``social.example.com``),
as Mastodon's domain blocks do. Instance blocks live on :class:`~hub.models.Peer` (``blocked``),
group blocks in :class:`~hub.models.DomainBlock`. Changing blocks is in hub.services.moderation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from urllib.parse import urlsplit

from hub import broadcast, changes
from hub.errors import InvalidInput
from hub.models import DomainBlock, Group, Peer

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$")


def normalise_domain(value: str) -> str:
    """``Example.COM.`` or ``https://example.com/`` -> ``example.com``; InvalidInput when it is no domain."""
    text = (value or "").strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.strip("/").rstrip(".")
    try:
        text = text.encode("idna").decode("ascii") if text and not text.isascii() else text
    except UnicodeError:
        raise InvalidInput(f"{value!r} is not a domain name") from None
    if not _DOMAIN_RE.match(text):
        raise InvalidInput(f"{value!r} is not a domain name: write it as example.com")
    return text


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_host(host: str) -> str:
    """``x@Blocked.Example.:443`` -> ``blocked.example:443``: the one reading of a host every block check uses.

    Userinfo dropped, lower case, trailing dot removed, IDNA (punycode) for non-ASCII names; the
    port is kept as given (a URL's default port is dropped by :func:`host_of_uri`).
    """
    host = host.rpartition("@")[2].strip().lower()
    if host.startswith("["):
        return host
    name, colon, port = host.partition(":")
    name = name.rstrip(".")
    if name and not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return f"{name}{colon}{port}"


def host_of_uri(uri: str) -> str | None:
    """host[:port] of an actor id, normalised (:func:`normalise_host`, default port dropped); None for local accounts and non-URLs."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    name = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    host = normalise_host(name)
    return host if port is None or port == _DEFAULT_PORTS[parts.scheme] else f"{host}:{port}"


def covering(host: str) -> list[str]:
    """The host and each parent domain that would block it: ``a.b.c`` -> ``[a.b.c, b.c, c]`` (port kept on the first)."""
    host = normalise_host(host)
    out = [host]
    bare = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    try:
        ipaddress.ip_address(bare.strip("[]"))
    except ValueError:
        labels = bare.split(".")
        out += [parent for parent in (".".join(labels[i:]) for i in range(len(labels))) if parent not in out]
    else:
        out += [bare] if bare not in out else []
    return out


def is_covered(host: str, blocked_domains: frozenset[str] | set[str]) -> bool:
    """Whether ``host`` or one of its parent domains is in ``blocked_domains`` — :func:`covering` without parsing addresses.

    For checks run per member of a fan-out: the same answer as ``any(c in blocked_domains for c in covering(host))``.
    """
    host = normalise_host(host)
    bare = host if host.startswith("[") else host.rsplit(":", 1)[0]
    if host in blocked_domains or bare in blocked_domains:
        return True
    labels = bare.split(".")
    if bare.startswith("[") or (len(labels) == 4 and all(label.isdigit() for label in labels) and _is_ipv4(bare)):
        return False
    return any(".".join(labels[i:]) in blocked_domains for i in range(1, len(labels)))


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def matches(host: str | None, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or one of its subdomains (ports: exact match when the block names one)."""
    if not host:
        return False
    return domain in covering(host)


async def instance_blocked(uri: str) -> bool:
    """Whether the instance blocks the domain of ``uri``."""
    host = host_of_uri(uri)
    return host is not None and await Peer.filter(host__in=covering(host), blocked=True).exists()


async def group_blocked(group: Group, uri: str) -> bool:
    """Whether ``group`` (or the instance) blocks the domain of ``uri``."""
    host = host_of_uri(uri)
    if host is None:
        return False
    hosts = covering(host)
    if await DomainBlock.filter(group=group, domain__in=hosts).exists():
        return True
    return await Peer.filter(host__in=hosts, blocked=True).exists()


async def note_change() -> None:
    """Tell :class:`BlockedDomains` copies that the instance's blocks changed: this process's, and the other
    processes' through PostgreSQL (hub.broadcast)."""
    await broadcast.announce("blocks")


NOTIFIED_MAX_AGE = 30.0
"""The copy's age limit in a process that hears the others' changes (hub.broadcast.Listener): a block made
elsewhere arrives by notification, and the listener counts a change whenever its connection drops."""


class BlockedDomains:
    """This process's copy of the instance's blocked domains, for checks that run on every request.

    Reread from the database at most every ``max_age`` seconds, and at once after a change made in
    this process (:func:`note_change`) or announced by another one (hub.broadcast: within milliseconds
    on PostgreSQL; without a listening connection, within ``max_age``).
    Checks that change state (joining, posting, processing a received activity) ask the database.
    """

    def __init__(self, max_age: float = 2.0, clock=time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._domains: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._read_changes = -1
        self._reading: tuple[int, asyncio.Future[frozenset[str]]] | None = None

    async def current(self) -> frozenset[str]:
        """The blocked domains, reread when the copy is older than ``max_age`` or a local change happened.

        Requests that find the copy stale together share one reread (an inbox busy after a quiet
        spell would otherwise send one query per request in flight).
        """
        moment = self._clock()
        seen = changes.count("blocks")
        if self._read_at is not None and moment - self._read_at < self.max_age and self._read_changes == seen:
            return self._domains
        if self._reading is None or self._reading[0] != seen or self._reading[1].done():
            self._reading = (seen, asyncio.ensure_future(self._reread(moment, seen)))
        return await asyncio.shield(self._reading[1])

    async def _reread(self, moment: float, seen: int) -> frozenset[str]:
        domains = frozenset(await Peer.filter(blocked=True).values_list("host", flat=True))
        self._domains, self._read_at, self._read_changes = domains, moment, seen
        return domains

    async def covers(self, *hosts: str | None) -> bool:
        """Whether the instance blocks one of ``hosts`` or a parent domain of one."""
        domains = await self.current()
        return bool(domains) and any(is_covered(h, domains) for h in hosts if h)
