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

from hub import changes
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


def host_of_uri(uri: str) -> str | None:
    """host[:port] of an actor id, lower-case; None for local accounts (``local:NAME``) and non-URLs."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower().rstrip(".")


def covering(host: str) -> list[str]:
    """The host and each parent domain that would block it: ``a.b.c`` -> ``[a.b.c, b.c, c]`` (port kept on the first;
    an address, including numeric forms such as ``10.0.1``, has no parents)."""
    out = [host]
    bare = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    labels = bare.split(".")
    try:
        ipaddress.ip_address(bare.strip("[]"))
    except ValueError:
        if not all(label.isdigit() for label in labels):  # numeric forms such as 10.0.1 are addresses: no parents
            out += [parent for parent in (".".join(labels[i:]) for i in range(len(labels))) if parent not in out]
            return out
    out += [bare] if bare not in out else []
    return out


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


def note_change() -> None:
    """Tell this process's :class:`BlockedDomains` copies that the instance's blocks changed."""
    changes.note("blocks")


class BlockedDomains:
    """This process's copy of the instance's blocked domains, for checks that run on every request.

    Reread from the database at most every ``max_age`` seconds, and at once after a change made in
    this process (:func:`note_change`): another process's block reaches this one within ``max_age``.
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
        return bool(domains) and any(c in domains for h in hosts if h for c in covering(h))
