"""The HTTP signature scheme each server accepted, shared by fetches (GETs) and deliveries (POSTs).

Kept in ``peers.signature_scheme``, which deliveries write after each POST (federation.delivery.record);
fetches read it through a short in-process copy and write it when a server took the other scheme.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tortoise.exceptions import IntegrityError

from hub.models import Peer

SCHEMES = ("cavage", "rfc9421")
DEFAULT_SCHEME = "cavage"
MAX_AGE = 300.0
"""Seconds a remembered scheme is used before it is read again (a worker's POSTs may have learnt another)."""
MAX_HOSTS = 10_000


class PeerSchemes:
    """Implements federation.signatures.SchemeMemory over the ``peers`` table, cached ``max_age`` seconds."""

    def __init__(self, *, max_age: float = MAX_AGE, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_age = max_age
        self._clock = clock
        self._known: dict[str, tuple[float, str | None]] = {}

    async def _remembered(self, host: str) -> str | None:
        moment = self._clock()
        cached = self._known.get(host)
        if cached is None or moment - cached[0] >= self._max_age:
            if len(self._known) >= MAX_HOSTS:
                self._known.clear()
            scheme = await Peer.filter(host=host).values_list("signature_scheme", flat=True)
            cached = self._known[host] = (moment, scheme[0] if scheme else None)
        return cached[1]

    async def first(self, host: str) -> str:
        """The scheme ``host`` accepted last (GET or POST), else draft-cavage."""
        remembered = await self._remembered(host)
        return remembered if remembered in SCHEMES else DEFAULT_SCHEME

    async def accepted(self, host: str, scheme: str) -> None:
        """Remember that ``host`` accepted ``scheme`` (written only when it changes)."""
        if await self._remembered(host) == scheme:
            return
        if not await Peer.filter(host=host).update(signature_scheme=scheme):
            try:
                await Peer.create(host=host, signature_scheme=scheme)
            except IntegrityError:  # made meanwhile by another request
                await Peer.filter(host=host).update(signature_scheme=scheme)
        self._known[host] = (self._clock(), scheme)
