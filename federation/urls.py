"""The ids and URLs this hub mints: one place that knows the path of every local actor and collection."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({AS_PUBLIC, "as:Public", "Public"})
_AUTHORITY_END = re.compile(r"[/?#]")
MAX_CACHED_PREFIX = 300
"""Longest ``scheme://authority`` kept in :func:`_netloc`'s cache (a host has at most 253 characters): the
cache holds at most ~1.2 MB however long the URLs senders make up."""


@dataclass(frozen=True)
class Urls:
    """Builds and recognises local URLs for a hub reachable at ``base`` (scheme://host[:port])."""

    base: str

    @cached_property
    def host(self) -> str:
        """host[:port] of this hub, lower-case."""
        return urlsplit(self.base).netloc.lower()

    def group(self, slug: str) -> str:
        """A group's actor id, also its HTML page."""
        return f"{self.base}/groups/{slug}"

    def group_key(self, slug: str) -> str:
        """The keyId of a group's signatures."""
        return f"{self.group(slug)}#main-key"

    def group_inbox(self, slug: str) -> str:
        """A group's personal inbox."""
        return f"{self.group(slug)}/inbox"

    def group_outbox(self, slug: str) -> str:
        """A group's outbox (its Announces)."""
        return f"{self.group(slug)}/outbox"

    def group_followers(self, slug: str) -> str:
        """A group's followers collection (members; count only in public)."""
        return f"{self.group(slug)}/followers"

    def group_featured(self, slug: str) -> str:
        """A group's pinned posts."""
        return f"{self.group(slug)}/featured"

    def group_moderators(self, slug: str) -> str:
        """A group's moderators collection (its attributedTo)."""
        return f"{self.group(slug)}/moderators"

    def group_activity(self, slug: str, kind: str, ident: str) -> str:
        """The id of an activity a group sends (kind: announce, accept, reject, delete, …)."""
        return f"{self.group(slug)}/activities/{kind}/{ident}"

    def post(self, post_id: int) -> str:
        """The HTML thread page of a stored post."""
        return f"{self.base}/posts/{post_id}"

    @property
    def shared_inbox(self) -> str:
        """The hub-wide shared inbox."""
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        """The instance actor (type Application) that signs server-level fetches."""
        return f"{self.base}/actor"

    @property
    def instance_key(self) -> str:
        """The keyId of the instance actor."""
        return f"{self.instance_actor}#main-key"

    @property
    def notices_actor(self) -> str:
        """The hub's notices actor (type Service): it writes to people whose software takes messages only from people."""
        return f"{self.instance_actor}/notices"

    @property
    def notices_key(self) -> str:
        """The keyId of the notices actor (the instance key, published under the notices actor)."""
        return f"{self.notices_actor}#main-key"

    @property
    def instance_inbox(self) -> str:
        """The instance actor's inbox."""
        return f"{self.instance_actor}/inbox"

    def is_local(self, url: str) -> bool:
        """Whether ``url`` is on this hub (compared after parsing, never by prefix)."""
        prefix = through_authority(url)
        netloc = _netloc(prefix) if len(prefix) <= MAX_CACHED_PREFIX else _netloc.__wrapped__(prefix)
        return netloc == self.host

    def group_slug(self, url: str) -> str | None:
        """The slug when ``url`` is exactly a local group's actor id, else None."""
        if not self.is_local(url):
            return None
        path = urlsplit(url).path
        prefix = "/groups/"
        if not path.startswith(prefix):
            return None
        slug = path[len(prefix) :]
        return slug if slug and "/" not in slug else None


def through_authority(url: str) -> str:
    """``url`` cut after its authority (``scheme://authority``), or whole without ``://``: what decides its host.

    ``urlsplit`` finds the same netloc in it, httpx the same origin (federation.fetch). The inbox asks
    :meth:`Urls.is_local` of new ids on every POST; parsing the whole URL cost about 5 µs a time, the
    prefix is parsed once per server (:func:`_netloc`'s cache).
    """
    start = url.find("://")
    if start <= 0:
        return url
    end = _AUTHORITY_END.search(url, start + 3)
    return url[: end.start()] if end else url


@lru_cache(maxsize=4096)
def _netloc(url: str) -> str | None:
    """The lower-case netloc ``urlsplit`` finds in ``url``; None when it refuses the URL."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return None
