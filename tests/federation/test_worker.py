"""Tests for federation.worker and ``hub worker``: draining the queues, limits, stopping, several workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from federation.context import Federation, build_federation
from federation.delivery import Sent, claim_deliveries, enqueue
from federation.worker import Worker
from hub.clock import now
from hub.lifecycle import ITEM_RETRIES
from hub.models import Account, Delivery, Event, Group, InboxItem, Membership, Peer, QueueSample, WorkerHeartbeat
from hub.queue import depth, finish
from hub.services import events, health
from hub.settings import load_settings
from tests.federation.signatures.fixtures import PRIVATE_PEM, PUBLIC_PEM
from tests.support import wait_until

SETTINGS = {"HUB_DOMAIN": "127.0.0.1:8123", "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8"}
GROUP_URI = "http://127.0.0.1:8123/groups/climate"
HUB = Path(sys.executable).with_name("hub")

ITEM_TRIES = ITEM_RETRIES.max_retries + 1
"""Tries of an inbox item or event before it fails."""


class Network:
    """Remote servers that answer 202 after ``delay`` seconds (or ``status``), counting concurrency."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.status: dict[str, int] = {}
        self.gates: dict[str, asyncio.Event] = {}
        """Hosts whose answer waits until their event is set."""
        self.answered: list[str] = []
        self.urls: Counter[str] = Counter()
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.peak_total = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.urls[str(request.url)] += 1
        self.active[host] += 1
        self.peak[host] = max(self.peak[host], self.active[host])
        self.peak_total = max(self.peak_total, sum(self.active.values()))
        try:
            await asyncio.sleep(self.delay)
            if host in self.gates:
                await self.gates[host].wait()
        finally:
            self.active[host] -= 1
        self.answered.append(host)
        return httpx.Response(self.status.get(host, 202))

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        return sum(self.active.values())


async def no_inbox(fed: Federation, item: InboxItem) -> None:
    """A process_inbox that marks every item done."""
    await finish(item, "done", processed_at=now())


async def no_event(fed: Federation, event: Event) -> None:
    """A handle_event that marks every event done."""
    await finish(event, "done")


@pytest.fixture
def network() -> Network:
    """Remote servers answering at once."""
    return Network()


@pytest.fixture
async def fed(db, network: Network) -> AsyncIterator[Federation]:
    """A Federation over ``network`` with the group ``climate``."""
    federation = build_federation(load_settings(SETTINGS), http_transport=httpx.MockTransport(network))
    await Group.create(slug="climate", name="Climate", private_key_pem=PRIVATE_PEM, public_key_pem=PUBLIC_PEM)
    yield federation
    await federation.close()


def worker(fed: Federation, **options) -> Worker:
    """A worker with no-op inbox and event handling unless given."""
    options.setdefault("process_inbox", no_inbox)
    options.setdefault("handle_event", no_event)
    return Worker(fed, **options)


async def queue(count: int, hosts: int) -> list[str]:
    """Queue ``count`` deliveries spread over ``hosts`` hosts, each to its own inbox URL."""
    inboxes = [f"https://h{n % hosts}.example/users/u{n}/inbox" for n in range(count)]
    activity = {"id": f"{GROUP_URI}/activities/announce/1", "type": "Announce", "actor": GROUP_URI}
    await enqueue(activity, actor_uri=GROUP_URI, inboxes=inboxes)
    return inboxes


async def test_one_pass_processes_the_inbox_then_events_then_deliveries(fed: Federation, network: Network) -> None:
    """An inbox item that records an event whose handler enqueues deliveries is fully sent by one run_once."""
    seen: list[str] = []

    async def process(fed: Federation, item: InboxItem) -> None:
        seen.append(f"inbox {item.activity_uri}")
        async with in_transaction():
            await events.record("post.published", None, activity=item.activity_uri)
            await finish(item, "done", processed_at=now())

    async def handle(fed: Federation, event: Event) -> None:
        seen.append(f"event {event.kind}")
        async with in_transaction():
            activity = {"id": f"{GROUP_URI}/activities/announce/9", "type": "Announce", "actor": GROUP_URI}
            await enqueue(activity, actor_uri=GROUP_URI, inboxes=["https://a.example/inbox", "https://b.example/inbox"])
            await finish(event, "done")

    await InboxItem.create(activity_uri="https://a.example/create/1", actor_uri="https://a.example/u", body="{}", next_try_at=now())
    w = worker(fed, process_inbox=process, handle_event=handle)
    assert await w.run_once() == 4
    assert seen == ["inbox https://a.example/create/1", "event post.published"]
    assert sorted(network.urls) == ["https://a.example/inbox", "https://b.example/inbox"]
    assert await Delivery.filter(state="delivered").count() == 2
    assert await w.run_once() == 0
    assert w.held == {"InboxItem": 0, "Event": 0, "Delivery": 0}


async def test_failing_handler_is_retried_then_failed(fed: Federation) -> None:
    """A process_inbox that raises: retried with a growing backoff, failed after five tries."""
    async def broken(fed: Federation, item: InboxItem) -> None:
        item.state = "done"  # set in memory, then the "transaction" fails
        raise RuntimeError("database said no")

    item = await InboxItem.create(activity_uri="https://a.example/x", actor_uri="https://a.example/u", body="{}", next_try_at=now())
    w = worker(fed, process_inbox=broken)
    delays = []
    for tries in range(1, ITEM_TRIES):
        before = now()
        assert await w.run_once() == 1
        row = await InboxItem.get(id=item.id)
        assert (row.state, row.tries, row.lease_until) == ("pending", tries, None)
        assert row.last_error == "RuntimeError: database said no"
        delays.append((row.next_try_at - before).total_seconds())
        await InboxItem.filter(id=item.id).update(next_try_at=now() - timedelta(seconds=1))
    assert delays == sorted(delays) and delays[0] >= 4
    assert await w.run_once() == 1
    row = await InboxItem.get(id=item.id)
    assert (row.state, row.tries) == ("failed", ITEM_TRIES) and row.processed_at is not None


async def test_handler_that_records_nothing_leaves_the_row_done(fed: Federation) -> None:
    """An event handler that returns without finishing its row: the event counts as done."""
    async def silent(fed: Federation, event: Event) -> None:
        return None

    event = await events.record("group.created", None)
    assert await worker(fed, handle_event=silent).run_once() == 1
    row = await Event.get(id=event.id)
    assert (row.state, row.lease_until) == ("done", None)


async def test_run_once_respects_global_and_per_host_limits(fed: Federation, network: Network) -> None:
    """60 deliveries to 5 hosts go out in one pass, never more than 3 at once to a host; never more than 4 when so limited."""
    network.delay = 0.1
    await queue(60, hosts=5)
    w = worker(fed, concurrency=16, per_host=3)
    assert await w.run_once() == 60
    assert await Delivery.filter(state="delivered").count() == 60
    assert max(network.peak.values()) == 3 and len(network.peak) == 5
    assert 3 < network.peak_total <= 15 and all(n == 1 for n in network.urls.values())

    network.peak.clear()
    network.peak_total = 0
    await Delivery.all().delete()
    await queue(60, hosts=5)
    assert await worker(fed, concurrency=4, per_host=3).run_once() == 60
    assert network.peak_total == 4 and max(network.peak.values()) <= 3


async def test_paused_host_is_skipped_then_probed_once(fed: Federation, network: Network) -> None:
    """A paused host gets nothing; after the pause one probe goes first and a failed probe stops the rest."""
    network.status["h0.example"] = 503
    await queue(4, hosts=2)  # h0: u0, u2; h1: u1, u3
    await Peer.create(host="h0.example", consecutive_failures=5, paused_until=now() + timedelta(seconds=60))
    w = worker(fed, per_host=4)
    assert await w.run_once() == 2
    assert sorted(network.urls) == ["https://h1.example/users/u1/inbox", "https://h1.example/users/u3/inbox"]

    # Given the pause has expired and the host still fails,
    await Peer.filter(host="h0.example").update(paused_until=now() - timedelta(seconds=1))
    network.urls.clear()
    # when the worker runs, one delivery probes the host and the other is left for later.
    assert await w.run_once() == 1
    assert sum(network.urls.values()) == 1
    peer = await Peer.get(host="h0.example")
    assert peer.consecutive_failures == 6 and peer.paused_until > now() + timedelta(seconds=100)
    rows = await Delivery.filter(host="h0.example").order_by("tries")
    assert [(r.state, r.tries, r.lease_until) for r in rows][0] == ("queued", 0, None)
    assert rows[1].tries == 1

    # When the host recovers, the probe succeeds and the rest follow in the same pass.
    del network.status["h0.example"]
    await Peer.filter(host="h0.example").update(paused_until=now() - timedelta(seconds=1))
    await Delivery.filter(host="h0.example").update(next_try_at=now() - timedelta(seconds=1))
    await queue(6, hosts=2)  # 3 more rows for each host
    assert await w.run_once() == 8
    assert await Delivery.filter(host="h0.example", state="queued").count() == 0
    assert (await Peer.get(host="h0.example")).consecutive_failures == 0


async def test_stop_lets_in_flight_sends_finish_and_releases_the_rest(fed: Federation, network: Network) -> None:
    """Stopped mid-pass: the two sends in flight complete, the unstarted rows are released, due again."""
    network.delay = 0.3
    await queue(6, hosts=1)
    w = worker(fed, concurrency=2, per_host=2)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_until(lambda: network.in_flight == 2, timeout=5, message="two sends in flight")
    stop.set()
    await asyncio.wait_for(task, timeout=3)
    assert await Delivery.filter(state="delivered").count() == 2
    rows = await Delivery.filter(state="queued")
    assert len(rows) == 4 and all(r.lease_until is None and r.tries == 0 and r.next_try_at <= now() for r in rows)
    assert w.held["Delivery"] == 0


async def test_stop_cancels_slow_sends_after_the_grace_period(fed: Federation, network: Network) -> None:
    """A send still running after the grace period is abandoned and its row released for the next start."""
    network.delay = 60
    await queue(3, hosts=1)
    w = worker(fed, concurrency=2, grace=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_until(lambda: network.in_flight == 2, timeout=5, message="two sends in flight")
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, timeout=3)
    assert time.monotonic() - started < 1.5
    rows = await Delivery.all()
    assert [(r.state, r.tries, r.lease_until) for r in rows] == [("queued", 0, None)] * 3

    # A new worker resumes them.
    network.delay = 0
    assert await worker(fed).run_once() == 3


async def test_idle_worker_wakes_when_asked(fed: Federation, network: Network) -> None:
    """While run() idles, fed.wake_worker() makes it pick up new work at once; it is unhooked on stop."""
    w = worker(fed, idle_max=30)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await asyncio.sleep(0.3)  # long enough to back off to several seconds of idling
    assert fed.wake_worker == w.wake
    await queue(1, hosts=1)
    fed.wake_worker()
    await wait_until(lambda: Delivery.filter(state="delivered").exists(), timeout=2, message="woken delivery")
    stop.set()
    await asyncio.wait_for(task, timeout=3)
    assert fed.wake_worker != w.wake


async def test_two_workers_never_send_a_row_twice(fed: Federation, network: Network, database_backend: str) -> None:
    """Two workers draining the same 200 deliveries concurrently send each exactly once."""
    network.delay = 0.002
    inboxes = await queue(200, hosts=10)
    first = worker(fed, owner="first", concurrency=8)
    second = worker(fed, owner="second", concurrency=8)
    for _ in range(50):
        if not await depth(Delivery):
            break
        await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(network.urls) == sorted(inboxes)
    assert set(network.urls.values()) == {1}, [u for u, n in network.urls.items() if n > 1]
    owners = Counter(await Delivery.filter(state="delivered").values_list("lease_owner", flat=True))
    assert sum(owners.values()) == 200 and set(owners) == {"first", "second"}, (database_backend, owners)


def test_hub_worker_command_stops_cleanly_on_signals(database_url: str, tmp_path: Path) -> None:
    """``hub worker`` starts, and exits 0 without a traceback on SIGTERM and on SIGINT."""
    env = {**os.environ, **SETTINGS, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path)}
    processes = {
        sig: subprocess.Popen([str(HUB), "worker", "--concurrency", "4"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        for sig, process in processes.items():
            line = process.stdout.readline()
            assert "running" in line, (line, process.stderr.read() if process.poll() is not None else "")
            process.send_signal(sig)
        for process in processes.values():
            out, err = process.communicate(timeout=30)
            assert process.returncode == 0 and "Traceback" not in err and "stopped" in out, (process.returncode, out, err)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def count_is(expected: int, **filters: object) -> Callable[[], Awaitable[bool]]:
    """A wait_until predicate: whether exactly ``expected`` deliveries match ``filters``."""
    async def check() -> bool:
        return await Delivery.filter(**filters).count() == expected
    return check


async def queue_to(hosts: list[str], *, tries: int = 0, number: int = 1) -> None:
    """One delivery to each host; ``tries`` > 0 makes them retries that are due now."""
    activity = {"id": f"{GROUP_URI}/activities/announce/{number}", "type": "Announce", "actor": GROUP_URI}
    await enqueue(activity, actor_uri=GROUP_URI, inboxes=[f"https://{host}/inbox" for host in hosts])
    if tries:
        await Delivery.filter(host__in=hosts).update(tries=tries)


async def test_retries_never_take_the_slots_of_fresh_deliveries(fed: Federation, network: Network) -> None:
    """20 due retries to hanging servers hold at most half the slots; fresh deliveries queued meanwhile all go out."""
    # Given 20 due retries to servers that do not answer,
    hanging = [f"down{n}.example" for n in range(20)]
    for host in hanging:
        network.gates[host] = asyncio.Event()
    await queue_to(hanging, tries=3)
    w = worker(fed, concurrency=4, slow_after=60)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    # when the worker runs, they take two of its four slots and no more,
    await wait_until(lambda: network.in_flight == 2, timeout=5, message="two retries in flight")
    await asyncio.sleep(0.3)
    assert network.in_flight == 2 and w.in_flight == 2
    # and fresh deliveries queued meanwhile all arrive while the retries still hang;
    fresh = [f"up{n}.example" for n in range(8)]
    await queue_to(fresh, number=2)
    fed.wake_worker()
    await wait_until(count_is(8, host__in=fresh, state="delivered"), timeout=10,
                     message="fresh deliveries sent past the retries")
    assert sum(network.active[host] for host in hanging) == 2
    assert sorted(network.answered) == sorted(fresh)
    # once the servers answer, the retries follow.
    for gate in network.gates.values():
        gate.set()
    await wait_until(count_is(28, state="delivered"), timeout=10, message="retries sent")
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert max(network.peak[host] for host in hanging) == 1


async def test_slow_servers_give_their_slots_back(fed: Federation, network: Network) -> None:
    """Two servers that hang keep sending going: after slow_after their sends stop counting against the slots."""
    for host in ("slow1.example", "slow2.example"):
        network.gates[host] = asyncio.Event()
    await queue_to(["slow1.example", "slow2.example"])
    await queue_to([f"ok{n}.example" for n in range(10)], number=2)
    w = worker(fed, concurrency=2, slow_after=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_until(count_is(10, host__startswith="ok", state="delivered"), timeout=10,
                     message="healthy servers served while two hang")
    assert w.in_flight == 2 and network.in_flight == 2
    for gate in network.gates.values():
        gate.set()
    await wait_until(count_is(12, state="delivered"), timeout=5, message="slow ones done")
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert w.held["Delivery"] == 0


async def test_outcomes_are_counted_and_sampled(fed: Federation, network: Network) -> None:
    """Delivered and failed sends show in the metrics counters and, on stop, in the minute's QueueSample."""
    network.status["bad.example"] = 503
    await queue_to(["a.example", "b.example", "bad.example"])
    w = worker(fed)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_until(count_is(2, state="delivered"), timeout=5, message="sent")
    await wait_until(lambda: Delivery.filter(host="bad.example", tries=1).exists(), timeout=5, message="retried")
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert fed.metrics.deliveries.get(outcome="delivered") == 2
    assert fed.metrics.deliveries.get(outcome="retry") == 1
    (sample,) = await QueueSample.all()
    assert (sample.delivered, sample.failed, sample.queued, sample.dead) == (2, 1, 1, 0)


async def test_running_worker_lifts_bans_whose_end_passed(fed: Federation, network: Network) -> None:
    """Each housekeeping pass lifts ended bans (state left, membership.unbanned recorded), without anyone following again."""
    group = await Group.create(slug="housing", name="Housing", private_key_pem=PRIVATE_PEM, public_key_pem=PUBLIC_PEM)
    ann = await Account.create(uri="https://a.example/users/ann", handle="ann@a.example")
    await Membership.create(group=group, account=ann, state="banned", banned_until=now() - timedelta(seconds=1))
    w = worker(fed, sample_every=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_until(lambda: Membership.filter(account=ann, state="left").exists(), timeout=5, message="ban lifted")
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert await Event.filter(kind="membership.unbanned").count() == 1


async def test_outcomes_waiting_to_be_written_are_written_on_stop(fed: Federation, network: Network) -> None:
    """A 2xx landed but not yet written when the worker stops is recorded, not released to be sent again."""
    await queue_to(["a.example"])
    w = worker(fed)
    (row,) = await claim_deliveries(w.owner, limit=1)
    w._held[Delivery].add(row.id)
    w._unrecorded.append(Sent(row, "delivered", 202, None, None, "cavage", 0.01))
    await w._land_flights(grace=1.0)
    await w.release_held()
    delivered = await Delivery.get(id=row.id)
    assert (delivered.state, delivered.last_status, delivered.lease_until) == ("delivered", 202, None)


async def test_running_worker_writes_its_heartbeat_and_removes_it_on_stop(fed: Federation, network: Network) -> None:
    """While run() goes, the worker's WorkerHeartbeat row is there (so /healthz is 200); a clean stop deletes it."""
    w = worker(fed)
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    row = await wait_until(lambda: WorkerHeartbeat.get_or_none(owner=w.owner), timeout=5, message="a heartbeat")
    assert (now() - row.beat_at).total_seconds() < 5 and (await health.check()).ok
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert not await WorkerHeartbeat.filter(owner=w.owner).exists()
    assert "no worker heartbeat" in (await health.check()).worker


async def test_an_event_waiting_for_a_retry_holds_back_only_its_own_objects_events(
    fed: Federation, network: Network, database_backend: str,
) -> None:
    """A group's post to a failing peer waits for its retry with its own edit; the post to a healthy peer goes on.

    On PostgreSQL two workers drain the queue at once: they must keep each post's publication before its edit.
    """
    climate = await Group.get(slug="climate")
    network.status["down.example"] = 503
    sent: list[tuple[int, str]] = []

    async def announce(fed: Federation, event: Event) -> None:
        """Tell the peer named in the event about it (the handler fails when the peer does)."""
        response = await fed.client.post(f"https://{event.payload['peer']}/inbox", content=event.kind)
        response.raise_for_status()
        sent.append((event.payload["post_id"], event.kind))
        await finish(event, "done")

    async with in_transaction():
        for post_id, peer in ((1, "down.example"), (2, "up.example")):
            await events.record("post.published", climate, post_id=post_id, peer=peer)
        for post_id, peer in ((1, "down.example"), (2, "up.example")):
            await events.record("post.updated", climate, post_id=post_id, peer=peer)
    workers = [worker(fed, handle_event=announce) for _ in range(2 if database_backend == "postgres" else 1)]
    for _ in range(3):  # one claim per pass: an edit is claimed once its post is done
        await asyncio.gather(*(w.run_once() for w in workers))
    # The healthy peer got the post and its edit, in order; the failing peer's post waits for its retry, its edit behind it.
    assert sent == [(2, "post.published"), (2, "post.updated")]
    waiting = {e.kind: e for e in await Event.filter(state="pending")}
    assert set(waiting) == {"post.published", "post.updated"} and waiting["post.published"].tries == 1
    assert waiting["post.updated"].tries == 0
    # When the peer is back and the retry comes due, the post goes first, then its edit.
    network.status["down.example"] = 202
    await Event.filter(state="pending").update(next_try_at=now() - timedelta(seconds=1))
    for _ in range(3):
        await asyncio.gather(*(w.run_once() for w in workers))
    assert sent[2:] == [(1, "post.published"), (1, "post.updated")]
    assert await Event.filter(state="pending").count() == 0
