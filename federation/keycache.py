"""Remote keys recently used to verify inbound signatures, kept in memory for a short while, and the
slots that bound the key fetches unverified requests cause.

Every inbox POST needs its signer's key: reading it from the database each time cost about a
third of the inbox's time (bench/RESULTS.md, inbox). ``KeyCache`` keeps keyId -> key for
``seconds`` (one per process, owned by the Federation object). A rotated key is still caught:
when the cached key does not verify, the inbox refetches the key (rate-limited) and the cache
takes the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from typing import Any

UNVERIFIED_FETCH_SLOTS = 16
"""Key fetches caused by not yet verified requests that may run at once (the outbound pool holds 200 connections)."""
UNVERIFIED_FETCH_PER_HOST = 2
"""Of those, how many may go to one host at once; more wait for one of the host's slots (within the deadline)."""
UNVERIFIED_WAITING_PER_HOST = 64
"""Requests that may wait for a host's slot at once; past that the next is refused (401) at once."""
UNVERIFIED_FETCH_DEADLINE = 3.0
"""Seconds a key fetch caused by an unverified request may take, waiting for a slot included."""


class FetchSlotsBusy(Exception):
    """Too many requests already wait for a key fetch to this host."""


class KeyFetchSlots:
    """A bounded share of outgoing connections for key fetches caused by unverified requests.

    Slow or hostile key servers can hold at most ``per_host`` slots each and ``total`` together, so
    they cannot monopolise the outbound client that deliveries and the worker's fetches use. A burst
    of new actors from one server (a popular thread) waits its turn within the deadline instead of
    being refused; at most ``waiting`` requests wait per host.
    """

    def __init__(self, total: int = UNVERIFIED_FETCH_SLOTS, per_host: int = UNVERIFIED_FETCH_PER_HOST,
                 waiting: int = UNVERIFIED_WAITING_PER_HOST) -> None:
        self.total = asyncio.Semaphore(total)
        self.per_host = per_host
        self.waiting = waiting
        self.busy: Counter[str] = Counter()
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @contextlib.asynccontextmanager
    async def slot(self, host: str, wait: float) -> AsyncIterator[None]:
        """Hold one slot for ``host``; FetchSlotsBusy when too many already wait for it, TimeoutError past ``wait``."""
        if self.busy[host] >= self.per_host + self.waiting:
            raise FetchSlotsBusy(host)
        deadline = time.monotonic() + wait
        host_slots = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        self.busy[host] += 1
        try:
            await asyncio.wait_for(host_slots.acquire(), wait)
            try:
                await asyncio.wait_for(self.total.acquire(), max(0.0, deadline - time.monotonic()))
                try:
                    yield
                finally:
                    self.total.release()
            finally:
                host_slots.release()
        finally:
            self.busy[host] -= 1
            if not self.busy[host]:
                del self.busy[host]
                del self._hosts[host]


class KeyCache:
    """keyId -> key (any value) for ``seconds``, at most ``size`` entries, least recently used dropped first."""

    def __init__(self, seconds: float = 60.0, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key_id: str) -> Any | None:
        """The cached key, or None when absent or older than ``seconds``."""
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        stored_at, value = entry
        if time.monotonic() - stored_at > self.seconds:
            del self._entries[key_id]
            return None
        self._entries.move_to_end(key_id)
        return value

    def put(self, key_id: str, value: Any) -> None:
        """Remember ``value`` for ``key_id`` from now on."""
        self._entries[key_id] = (time.monotonic(), value)
        self._entries.move_to_end(key_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key_id: str) -> None:
        """Forget ``key_id``."""
        self._entries.pop(key_id, None)
