"""Tests for federation.flights: the slots the worker's sends in flight hold."""

from __future__ import annotations

import asyncio

from federation.delivery import Sent
from federation.flights import SLOW_MAX, SLOW_MIN, Flights
from hub.models import Delivery


def row(host: str, tries: int = 0) -> Delivery:
    return Delivery(inbox=f"https://{host}/inbox", host=host, actor_uri="a", activity_uri="b", body="{}", tries=tries)


def sent(seconds: float, outcome: str = "delivered") -> Sent:
    return Sent(row("x.example"), outcome, 202, None, None, "cavage", seconds)


async def test_slots_retries_share_and_hosts_are_counted() -> None:
    """Fresh and retried sends fill the slots, retries only their share; hosts are counted until the send lands."""
    flights = Flights(concurrency=4, retry_share=0.5, slow_after=10.0)
    tasks = [asyncio.ensure_future(asyncio.sleep(0)) for _ in range(3)]
    flights.start(tasks[0], row("a.example"), 100.0)
    flights.start(tasks[1], row("a.example", tries=2), 100.0)
    flights.start(tasks[2], row("b.example", tries=1), 100.0)
    assert len(flights) == 3 and tasks[0] in flights and flights.free(101.0) == (1, 0)
    assert flights.host_busy == {"a.example": 2, "b.example": 1}
    assert flights.take_off(tasks[1]).retried and flights.free(101.0) == (2, 1)
    flights.take_off(tasks[2])
    assert flights.host_busy == {"a.example": 1} and list(flights) == [tasks[0]]
    # A send older than slow_after no longer holds its slot.
    assert flights.free(111.0) == (4, 2) and flights.active(111.0) == []
    await asyncio.gather(*tasks)


def test_slow_after_follows_the_typical_send_within_its_bounds() -> None:
    """Adaptive: SLOW_MAX until a send succeeded, then four times the moving average, bounded; fixed when given."""
    flights = Flights(concurrency=2, retry_share=1.0, slow_after=None)
    assert flights.slow_after == SLOW_MAX
    flights.learn([sent(0.05), sent(9.0, "retry")])
    assert flights.slow_after == 0.2
    flights.learn([sent(0.001)] * 200)
    assert flights.slow_after == SLOW_MIN
    assert Flights(concurrency=2, retry_share=1.0, slow_after=3.0).slow_after == 3.0
    assert Flights(concurrency=2, retry_share=0.1, slow_after=None).retry_slots == 1
    assert Flights(concurrency=100, retry_share=1.0, slow_after=None).max_flights == 192
