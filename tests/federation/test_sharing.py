"""Tests for what processes share on PostgreSQL: rate budgets (PostgreSQL, Redis), change notices, hub-wide counters.

Several "processes" are played here by several limiters, listeners and Metrics objects over one
database; tests/integration/test_multiproc.py runs real processes behind nginx.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from tortoise import connections

from federation import shared_metrics
from federation.metrics import Metrics
from federation.ratelimit import InboxLimiter
from federation.shared_limits import PostgresBudgets, RedisBudgets
from federation.sharing import start_sharing
from hub import broadcast, changes
from hub.settings import load_settings
from tests.support import wait_until

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def postgres(database_backend: str) -> None:
    if database_backend != "postgres":
        pytest.skip("shared state is for several processes on PostgreSQL; SQLite keeps it in memory")


def redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


async def test_limiters_sharing_the_database_give_an_actor_its_budget_once(db, postgres) -> None:
    """Three limiters (three processes) over PostgreSQL: an actor gets exactly its 5 POSTs, then a Retry-After."""
    limiters = [InboxLimiter(5, 100) for _ in range(3)]
    for limiter in limiters:
        limiter.store = PostgresBudgets()
    answers = await asyncio.gather(*(
        limiters[n % 3].take_signer("https://a.example/users/alice#main-key", "a.example") for n in range(12)
    ))
    assert answers.count(None) == 5
    assert all(wait is not None and 1 <= wait <= 13 for wait in answers if wait is not None)
    # The refused checks took nothing from the server's budget: 5 of its 100 are spent.
    assert await limiters[0].take_signer("https://a.example/users/bob#main-key", "a.example") is None
    _, rows = await connections.get("default").execute_query("SELECT key, tokens FROM rate_buckets WHERE key = 'server:a.example'")
    assert 93.9 < rows[0]["tokens"] < 94.5
    # Addresses too.
    assert [await limiters[n % 3].take_address("192.0.2.7") for n in range(101)].count(None) == 100


async def test_redis_budgets_are_shared_and_all_or_nothing(db) -> None:
    """Two stores on one Redis: one budget; a check refused for the actor takes nothing from the server."""
    if not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    first, second = RedisBudgets(REDIS_URL), RedisBudgets(REDIS_URL)
    try:
        await first._client.flushdb()
        answers = [await (first, second)[n % 2].take([("actor:x", 4, 1), ("server:y", 10, 1)], 60) for n in range(6)]
        assert answers[:4] == [0.0] * 4 and all(wait > 1 for wait in answers[4:])
        assert float(await first._client.hget(RedisBudgets.PREFIX + "server:y", "t")) == pytest.approx(6, abs=0.1)
    finally:
        await first._client.flushdb()
        await first.close()
        await second.close()


async def test_big_budgets_are_leased_a_few_tokens_at_a_time_and_never_overspent(db, postgres) -> None:
    """A server's budget of 1,024 is taken 4 tokens a time (one store call per 4 POSTs); two processes together
    still accept exactly 1,024, and a single token is taken when a whole lease is not left."""
    calls = 0

    class Counting(PostgresBudgets):
        async def take(self, want, window):
            nonlocal calls
            calls += 1
            return await super().take(want, window)

    first, second = InboxLimiter(0, 1024, window=86400), InboxLimiter(0, 1024, window=86400)  # no refill to speak of
    first.store, second.store = Counting(), Counting()
    answers = [await (first, second)[n % 2].take_signer(f"https://a.example/u{n}#k", "a.example") for n in range(1100)]
    assert answers.count(None) == 1024
    # a store call per lease of 4 while they last; a refused POST asks twice (a lease, then a single token)
    assert calls <= 1024 // 4 + 2 * (1100 - 1024) + 4


async def test_a_change_announced_by_one_process_reaches_the_others_listener(db, postgres, database_url: str) -> None:
    """A notification from another process counts as a change here; our own are not counted twice."""
    listener = broadcast.Listener(database_url)
    listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 30)
        before = changes.count("blocks")
        await connections.get("default").execute_query("SELECT pg_notify($1, $2)", [broadcast.CHANNEL, "blocks other:1"])
        await wait_until(lambda: changes.count("blocks") > before, timeout=10)
        assert listener.received == 1
        await broadcast.announce("content")  # this process's own: counted once, by announce
        await connections.get("default").execute_query("SELECT pg_notify($1, $2)", [broadcast.CHANNEL, "content other:1"])
        await wait_until(lambda: listener.received == 2, timeout=10)
    finally:
        await listener.stop()


async def test_the_listener_reconnects_when_its_connection_is_killed(db, postgres, database_url: str) -> None:
    """As after a PostgreSQL restart: the listener counts a change of every topic, reconnects and hears again."""
    listener = broadcast.Listener(database_url, first_pause=0.05)
    listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 30)
        before = changes.count("blocks")
        conn = connections.get("default")
        await conn.execute_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        await wait_until(lambda: listener.connects >= 2 and listener.listening.is_set(), timeout=30)
        assert changes.count("blocks") > before
        received = listener.received
        await conn.execute_query("SELECT pg_notify($1, $2)", [broadcast.CHANNEL, "blocks other:2"])
        await wait_until(lambda: listener.received == received + 1, timeout=10)
    finally:
        await listener.stop()


async def test_metrics_of_every_process_are_summed(db, postgres) -> None:
    """Two processes' counters written to the database: the totals are their sums; a rewrite replaces, never adds."""
    web, worker = Metrics(), Metrics()
    web.inbox.inc(3, result="stored")
    worker.inbox.inc(2, result="stored")
    worker.deliveries.inc(7, outcome="delivered")
    await shared_metrics.flush(web, "web:1")
    await shared_metrics.flush(worker, "worker:1")
    await shared_metrics.flush(web, "web:1")
    totals = await shared_metrics.totals()
    assert totals['causeway_inbox_requests_total{result="stored"}'] == 5
    assert totals['causeway_delivery_attempts_total{outcome="delivered"}'] == 7
    text = web.render(totals=totals)
    assert 'causeway_inbox_requests_total{result="stored"} 5\n' in text
    assert 'causeway_delivery_attempts_total{outcome="delivered"} 7\n' in text


async def test_nothing_is_shared_on_sqlite(db, database_backend: str) -> None:
    """SQLite runs one process: the limiter keeps its buckets in memory and no listener starts."""
    if database_backend != "sqlite":
        pytest.skip("the SQLite default")
    limiter = InboxLimiter(2, 10)
    assert await start_sharing(load_settings({}), limiter, Metrics(), listen=True) is None
    assert limiter.store is None
    assert [await limiter.take_signer("https://a.example/u#k", "a.example") for _ in range(3)][:2] == [None, None]
