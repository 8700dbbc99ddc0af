"""The worker's sends in flight and the slots they hold (federation.worker's delivery pipeline).

A send occupies one of ``concurrency`` slots until it lands or turns slow: still running after
``slow_after`` seconds, it gives its slot back and keeps running up to its request's deadline, so
slow servers cost healthy ones little. ``slow_after`` is fixed when given, else it follows the
typical send: SLOW_FACTOR times the moving average of successful sends' durations, between
SLOW_MIN and SLOW_MAX. Retries may hold at most ``retry_share`` of the slots, and all sends in flight,
slow ones included, are at most FLIGHTS_PER_SLOT × ``concurrency`` (and MAX_FLIGHTS). The sends to
each host are counted for the per-host limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from federation.delivery import Sent
from hub.models import Delivery

SLOW_MIN = 0.1
SLOW_MAX = 1.0
"""Bounds of the adaptive ``slow_after``: seconds after which a send in flight no longer occupies a slot."""
SLOW_FACTOR = 4.0
"""A send is slow once it took this many times the average successful send."""
FLIGHTS_PER_SLOT = 8
MAX_FLIGHTS = 192
"""All sends in flight, slow ones included, are at most FLIGHTS_PER_SLOT × ``concurrency`` and MAX_FLIGHTS
(below the 200 connections of the hub's client, federation.net), but never fewer than ``concurrency``."""


@dataclass
class Flight:
    """One send in flight: its row, when it started and whether it is a retry."""

    row: Delivery
    started: float
    retried: bool


class Flights:
    """The sends in flight, by their task; how many slots they leave free and when the next one turns slow."""

    def __init__(self, concurrency: int, retry_share: float, slow_after: float | None) -> None:
        self.concurrency = concurrency
        self.retry_slots = max(1, int(concurrency * retry_share))
        self.max_flights = max(concurrency, min(concurrency * FLIGHTS_PER_SLOT, MAX_FLIGHTS))
        self.fixed_slow_after = slow_after
        self.host_busy: Counter[str] = Counter()
        """Sends in flight per host."""
        self._typical_send: float | None = None
        """Moving average of successful sends' durations (seconds)."""
        self._flights: dict[asyncio.Task, Flight] = {}

    def __len__(self) -> int:
        return len(self._flights)

    def __contains__(self, task: object) -> bool:
        return task in self._flights

    def __iter__(self) -> Iterator[asyncio.Task]:
        return iter(self._flights)

    def start(self, task: asyncio.Task, row: Delivery, moment: float) -> None:
        """Count ``task``, sending ``row`` since ``moment``."""
        self._flights[task] = Flight(row, moment, row.tries > 0)
        self.host_busy[row.host] += 1

    def take_off(self, task: asyncio.Task) -> Flight:
        """Stop counting a finished (or abandoned) send."""
        flight = self._flights.pop(task)
        self.host_busy[flight.row.host] -= 1
        if self.host_busy[flight.row.host] <= 0:
            del self.host_busy[flight.row.host]
        return flight

    def active(self, moment: float) -> list[Flight]:
        """Flights that still occupy a slot (started less than ``slow_after`` ago)."""
        slow_after = self.slow_after
        return [f for f in self._flights.values() if moment - f.started < slow_after]

    def free(self, moment: float) -> tuple[int, int]:
        """(free slots, free retry slots) at ``moment``."""
        active = self.active(moment)
        free = min(self.concurrency - len(active), self.max_flights - len(self._flights))
        retries = self.retry_slots - sum(1 for f in active if f.retried)
        return max(free, 0), max(min(free, retries), 0)

    def until_slow(self) -> float | None:
        """Seconds until the next active flight turns slow (and frees its slot)."""
        moment = time.monotonic()
        active = self.active(moment)
        if not active:
            return None
        return max(0.001, min(f.started for f in active) + self.slow_after - moment)

    @property
    def slow_after(self) -> float:
        """Seconds after which a send no longer occupies a slot: fixed if given, else adaptive."""
        if self.fixed_slow_after is not None:
            return self.fixed_slow_after
        if self._typical_send is None:
            return SLOW_MAX
        return min(SLOW_MAX, max(SLOW_MIN, SLOW_FACTOR * self._typical_send))

    def learn(self, results: Sequence[Sent]) -> None:
        """Follow the duration of successful sends (exponential moving average)."""
        for sent in results:
            if sent.outcome == "delivered":
                if self._typical_send is None:
                    self._typical_send = sent.seconds
                else:
                    self._typical_send += 0.05 * (sent.seconds - self._typical_send)
