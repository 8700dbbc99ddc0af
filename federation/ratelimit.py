"""Abuse limits on inbox POSTs: token buckets per remote actor (keyId) and per remote server (keyId host).

The inbox asks :meth:`InboxLimiter.check` right after reading the signature parameters and before
any key fetch or verification, so a flood costs the hub almost nothing. A request takes one token
from its actor's bucket and one from its server's; when either is empty nothing is taken and the
caller answers 429 with ``Retry-After`` (the seconds until that bucket has a token again).
Buckets refill continuously (``limit`` tokens per ``window`` seconds, burst up to ``limit``).

State is per process and in memory: a restart forgets it, which only ever favours the sender.
Idle (full) buckets are dropped when there are more than ``max_keys``, so memory stays bounded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PER_ACTOR = 300
"""Inbox POSTs one remote actor may make per minute (Mastodon's own inbox limit is of this order)."""
DEFAULT_PER_HOST = 1200
"""Inbox POSTs one remote server may make per minute, all its actors together."""


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


class InboxLimiter:
    """Per-actor and per-server limits on inbox POSTs (requests per ``window`` seconds; 0 turns one off)."""

    def __init__(
        self, per_actor: int = DEFAULT_PER_ACTOR, per_host: int = DEFAULT_PER_HOST, *, window: float = 60.0,
        clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000,
    ) -> None:
        self.clock = clock
        self.actors = TokenBuckets(per_actor, window, clock=clock, max_keys=max_keys)
        self.hosts = TokenBuckets(per_host, window, clock=clock, max_keys=max_keys)

    def check(self, key_id: str, host: str) -> int | None:
        """Take a token for the signer and its server; None when allowed, else whole seconds to wait (Retry-After)."""
        actor = key_id.partition("#")[0]
        moment = self.clock()
        wait = max(self.actors.wait(actor, moment), self.hosts.wait(host, moment))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.actors.take(actor)
        self.hosts.take(host)
        return None
