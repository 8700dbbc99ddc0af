"""Abuse limits on inbox POSTs: token buckets per sending address, per remote actor and per remote server.

Two steps, so a stranger cannot spend someone else's allowance by naming their keyId:

1. Before any key fetch or verification the inbox asks :meth:`InboxLimiter.check_address`: every
   request, signed or not, takes a token of its **sending address** (the TCP peer), so a flood of
   unverifiable requests costs the hub almost nothing and is charged to whoever sends it.
2. Only once the signature is verified, :meth:`InboxLimiter.check` takes a token of the **signer**
   (keyId without fragment) and of its **server**, keyed on the registrable domain
   (``a.example.co.uk`` and ``b.example.co.uk`` share ``example.co.uk``, per the Public Suffix
   List bundled with ``publicsuffixlist``; an IP address is its own key), so one operator under many
   subdomains gets one server budget.

When a bucket is empty nothing is taken and the caller answers 429 with ``Retry-After`` (the
seconds until that bucket has a token again). Buckets refill continuously (``limit`` tokens per
``window`` seconds, burst up to ``limit``).

With one process (SQLite) the state is in memory: a restart forgets it, which only ever favours the
sender; idle (full) buckets are dropped when there are more than ``max_keys``, so memory stays
bounded. When several processes share one PostgreSQL, :attr:`InboxLimiter.store` holds the buckets
for all of them (federation.shared_limits, set up by federation.sharing) and the inbox's
:meth:`InboxLimiter.take_address` and :meth:`InboxLimiter.take_signer` count there instead, taking
a big budget's tokens a few at a time (:func:`lease_size`: a busy server's budget would otherwise
be one row every process updates on every POST); a process never spends a token it did not take,
so the processes together never accept more than the budget.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from publicsuffixlist import PublicSuffixList

from federation.shared_limits import BudgetStore

DEFAULT_PER_ACTOR = 300
"""Inbox POSTs one remote actor may make per minute (Mastodon's own inbox limit is of this order)."""
DEFAULT_PER_HOST = 1200
"""Inbox POSTs one remote server may make per minute, all its actors together."""
LEASE_SHARE = 256
"""A process leases 1/256 of a shared budget at once (lease_size)."""
LEASE_SECONDS = 2.0
"""A lease unused for this long is dropped."""
SERVER_KEYS = 65_536
"""Hosts whose registrable domain is remembered at most (all forgotten at once when full: a few MB)."""


@dataclass
class Bucket:
    """Tokens left and when they were last counted."""

    tokens: float
    updated: float


class TokenBuckets:
    """Buckets of ``limit`` tokens refilled over ``window`` seconds, one per key (limit 0: unlimited)."""

    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000) -> None:
        self.limit = max(0, int(limit))
        self.rate = self.limit / window if window > 0 else 0.0
        self.clock = clock
        self.max_keys = max_keys
        self.buckets: dict[str, Bucket] = {}

    def _bucket(self, key: str, moment: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._prune(moment)
            bucket = self.buckets[key] = Bucket(float(self.limit), moment)
        else:
            bucket.tokens = min(float(self.limit), bucket.tokens + (moment - bucket.updated) * self.rate)
            bucket.updated = moment
        return bucket

    def _prune(self, moment: float) -> None:
        full = [k for k, b in self.buckets.items() if b.tokens + (moment - b.updated) * self.rate >= self.limit]
        for key in full or list(self.buckets)[: len(self.buckets) // 2]:
            del self.buckets[key]

    def wait(self, key: str, moment: float) -> float:
        """Seconds until ``key`` has a whole token (0 when it has one now)."""
        if not self.limit:
            return 0.0
        bucket = self._bucket(key, moment)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def take(self, key: str) -> None:
        """Use one token of ``key`` (call after :meth:`wait` said 0)."""
        if self.limit:
            self.buckets[key].tokens -= 1


def registrable_domain(host: str, suffixes: PublicSuffixList) -> str:
    """The registrable domain of ``host`` (``a.b.example.co.uk`` -> ``example.co.uk``), port dropped.

    IP addresses, single labels and public suffixes themselves are their own key.
    """
    bare = host.lower().rstrip(".")
    if not bare.startswith("["):
        bare = bare.rsplit(":", 1)[0] if bare.count(":") == 1 else bare
    try:
        ipaddress.ip_address(bare.strip("[]"))
        return bare
    except ValueError:
        pass
    return suffixes.privatesuffix(bare) or bare


class InboxLimiter:
    """Per-address, per-actor and per-server limits on inbox POSTs (requests per ``window`` seconds; 0 turns one off).

    The address budget is the server budget unless ``per_address`` is given: one machine may send as much as one server.
    """

    def __init__(
        self, per_actor: int = DEFAULT_PER_ACTOR, per_host: int = DEFAULT_PER_HOST, *, window: float = 60.0,
        clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000, per_address: int | None = None,
    ) -> None:
        self.clock = clock
        self.window = window
        self.store: BudgetStore | None = None
        """Buckets shared with the hub's other processes; None: this process's own, in memory."""
        self._leases: dict[str, list[float]] = {}
        """Tokens this process took from shared buckets ahead of use: key -> [tokens left, when leased]."""
        self.actors = TokenBuckets(per_actor, window, clock=clock, max_keys=max_keys)
        self.hosts = TokenBuckets(per_host, window, clock=clock, max_keys=max_keys)
        self.addresses = TokenBuckets(per_host if per_address is None else per_address, window, clock=clock, max_keys=max_keys)
        self._suffixes: PublicSuffixList | None = None
        self._server_keys: dict[str, str] = {}

    def server_key(self, host: str) -> str:
        """The key of a server's budget: its registrable domain (the suffix list is read on first use; each host's
        answer is remembered, as every POST asks it: ~2% of an inbox POST's time in bench.inbox)."""
        key = self._server_keys.get(host)
        if key is None:
            if self._suffixes is None:
                self._suffixes = PublicSuffixList()
            if len(self._server_keys) >= SERVER_KEYS:
                self._server_keys.clear()
            key = self._server_keys[host] = registrable_domain(host, self._suffixes)
        return key

    def check_address(self, address: str | None) -> int | None:
        """Take a token of the sending address (before verification); None when allowed, else seconds to wait."""
        if not address:
            return None
        wait = self.addresses.wait(address, self.clock())
        if wait > 0:
            return max(1, math.ceil(wait))
        self.addresses.take(address)
        return None

    def check(self, key_id: str, host: str) -> int | None:
        """Take a token for a verified signer and its server; None when allowed, else whole seconds to wait (Retry-After)."""
        actor = key_id.partition("#")[0]
        server = self.server_key(host)
        moment = self.clock()
        wait = max(self.actors.wait(actor, moment), self.hosts.wait(server, moment))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.actors.take(actor)
        self.hosts.take(server)
        return None

    async def take_address(self, address: str | None) -> int | None:
        """:meth:`check_address`, in the shared store when there is one."""
        if self.store is None:
            return self.check_address(address)
        if not address or not self.addresses.limit:
            return None
        return _seconds(await self._take_shared([(f"address:{address}", self.addresses.limit)]))

    async def take_signer(self, key_id: str, host: str) -> int | None:
        """:meth:`check`, in the shared store when there is one (the signer's and its server's token, or neither)."""
        if self.store is None:
            return self.check(key_id, host)
        want = [(f"actor:{key_id.partition('#')[0]}", self.actors.limit), (f"server:{self.server_key(host)}", self.hosts.limit)]
        return _seconds(await self._take_shared([(key, limit) for key, limit in want if limit]))

    async def _take_shared(self, want: list[tuple[str, int]]) -> float:
        """One token of each bucket: from this process's leases, else leased from the store (0.0), or the wait.

        A lease is :func:`lease_size` tokens taken from the shared bucket at once, so a busy server's
        budget costs one store round trip per few requests; a lease not used within
        :data:`LEASE_SECONDS` is dropped (those tokens are lost to the sender, never given twice).
        When a whole lease is not available, a single token is asked for.
        """
        while True:
            moment = self.clock()
            need = [(key, limit) for key, limit in want if not self._leased(key, moment)]
            if not need:
                for key, _ in want:
                    self._leases[key][0] -= 1
                return 0.0
            leases = [(key, limit, lease_size(limit)) for key, limit in need]
            wait = await self.store.take(leases, self.window)
            if wait > 0 and any(count > 1 for _, _, count in leases):
                leases = [(key, limit, 1) for key, limit in need]
                wait = await self.store.take(leases, self.window)
            if wait > 0:
                return wait
            if len(self._leases) >= self.actors.max_keys:
                self._leases = {k: v for k, v in self._leases.items() if v[0] >= 1 and moment - v[1] < LEASE_SECONDS}
            moment = self.clock()
            for key, _, count in leases:
                held = self._leases.get(key)
                fresh = held is not None and moment - held[1] < LEASE_SECONDS
                self._leases[key] = [count + (held[0] if fresh else 0), moment]

    def _leased(self, key: str, moment: float) -> bool:
        held = self._leases.get(key)
        if held is None:
            return False
        if held[0] < 1 or moment - held[1] >= LEASE_SECONDS:
            del self._leases[key]
            return False
        return True


def lease_size(limit: int) -> int:
    """Tokens a process takes from a shared bucket at once: 1/:data:`LEASE_SHARE` of the budget, at least 1.

    The default per-actor budget (300 a minute) is taken one token at a time, so an actor gets exactly
    its budget across processes; a server's (1,200) four at a time.
    """
    return max(1, limit // LEASE_SHARE)


def _seconds(wait: float) -> int | None:
    """None for no wait, else whole seconds to announce in Retry-After (at least 1)."""
    return None if wait <= 0 else max(1, math.ceil(wait))
