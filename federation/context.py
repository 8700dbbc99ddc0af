"""The federation runtime: settings, URLs, the one outbound client and the instance signer.

Built once per process (in the app's lifespan or by ``hub worker``) and passed explicitly;
there are no module-level singletons.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from federation.keycache import KeyCache, KeyFetchSlots
from federation.metrics import Metrics
from federation.net import AddressPolicy, build_client, close_client
from federation.ratelimit import InboxLimiter
from federation.peer_schemes import PeerSchemes
from federation.sharing import Sharing, start_sharing
from federation.signatures import DoubleKnock, SigningAuth
from federation.signing_threads import SigningThreads
from federation.urls import Urls
from hub import __version__
from hub.intake import InboxWriter
from hub.languages import Catalogs
from hub.services.blocks import NOTIFIED_MAX_AGE, BlockedDomains
from hub.services.instance import instance_key
from hub.settings import Settings


@dataclass
class Federation:
    """Everything federation code needs at run time."""

    settings: Settings
    urls: Urls
    client: httpx.AsyncClient
    policy: AddressPolicy
    key_refetches: dict[str, float] = field(default_factory=dict)
    """When each keyId was last refetched after a failed verification (rate limit)."""
    inbox_limiter: InboxLimiter = field(default_factory=InboxLimiter)
    """Per-actor and per-server limits on inbox POSTs (the inbox answers 429 with Retry-After past them)."""
    key_cache: KeyCache = field(default_factory=KeyCache)
    """Remote keys recently used to verify inbox POSTs (keyId -> ActorKey), for a minute."""
    key_fetch_slots: KeyFetchSlots = field(default_factory=KeyFetchSlots)
    """The bounded share of outgoing connections for key fetches caused by not yet verified requests."""
    metrics: Metrics = field(default_factory=Metrics)
    """This process's counters (deliveries, inbox requests, signature failures), served at /metrics."""
    inbox_writer: InboxWriter = field(default_factory=InboxWriter)
    """Stores received activities, the POSTs that arrive together in one transaction (group commit)."""
    blocked_domains: BlockedDomains = field(default_factory=BlockedDomains)
    """This process's copy of the instance's blocked domains, for the inbox's door check."""
    catalogs: Catalogs = field(default_factory=Catalogs.load)
    """The hub's translations: direct messages are written in each recipient's language."""
    sharing: Sharing | None = None
    """What this process shares with the hub's others on PostgreSQL (federation.sharing); None on SQLite."""
    wake_worker: Callable[[], None] = lambda: None
    """Called after the inbox stores an item or a service records an event, to wake an in-process worker."""
    peer_schemes: PeerSchemes = field(default_factory=PeerSchemes)
    """The signature scheme each server accepted (peers.signature_scheme), for signed fetches."""
    signing: SigningThreads = field(default_factory=SigningThreads)
    """The threads that sign deliveries off the event loop (federation.signing_threads)."""
    _instance_auth: dict[str, SigningAuth | DoubleKnock] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        """The User-Agent of every outgoing request."""
        return user_agent(self.settings)

    async def instance_auth(self, scheme: str | None = None) -> SigningAuth | DoubleKnock:
        """Signs as the instance actor (fetches of actors, keys, objects, WebFinger and NodeInfo).

        Without ``scheme``: a DoubleKnock (the scheme each server accepted, the other on a 401, remembered
        in ``peer_schemes``); with one: httpx auth for that scheme only.
        """
        name = scheme or "knock"
        auth = self._instance_auth.get(name)
        if auth is None:
            key = await instance_key()
            if scheme is None:
                auth = DoubleKnock(self.urls.instance_key, key.private_key_pem, self.peer_schemes)
            else:
                auth = SigningAuth(self.urls.instance_key, key.private_key_pem, scheme=scheme)
            self._instance_auth[name] = auth
        return auth

    async def share(self, *, listen: bool) -> None:
        """On PostgreSQL, share the inbox's budgets, the counters and (``listen``) the other processes' changes."""
        self.sharing = await start_sharing(self.settings, self.inbox_limiter, self.metrics, listen=listen)
        if self.sharing is not None and listen:  # blocks made elsewhere arrive by notification: fewer rereads
            self.blocked_domains.max_age = NOTIFIED_MAX_AGE

    async def close(self) -> None:
        """Stop sharing, close the outbound client, let the signing threads end and the inbox's writer finish."""
        try:
            if self.sharing is not None:
                await self.sharing.stop()
            await close_client(self.client)
        finally:
            self.signing.close()
            await self.inbox_writer.close()


def user_agent(settings: Settings) -> str:
    """``Causeway/VERSION (+https://host/)``, as fediverse servers identify themselves."""
    return f"Causeway/{__version__} (+{settings.base_url}/)"


def build_federation(settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None) -> Federation:
    """Create the runtime; ``http_transport`` replaces the network in tests."""
    policy = AddressPolicy(settings.allow_private_addresses)
    client = build_client(policy, transport=http_transport, user_agent=user_agent(settings))
    limiter = InboxLimiter(settings.inbox_rate_per_actor, settings.inbox_rate_per_host)
    return Federation(settings=settings, urls=Urls(settings.base_url), client=client, policy=policy, inbox_limiter=limiter)


def with_federation(command: Callable[..., Awaitable[int]]) -> Callable[[argparse.Namespace, Settings], Awaitable[int]]:
    """A ``hub`` command ``(args, settings, fed)`` run with a runtime built for it and closed after it, whatever happens."""

    @functools.wraps(command)
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        fed = build_federation(settings)
        try:
            return await command(args, settings, fed)
        finally:
            await fed.close()

    return run
