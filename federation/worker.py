"""The background worker: drains the inbox, the domain events and the delivery queue.

One :meth:`Worker.run_once` handles, in this order, due inbox items, due events and due
deliveries until none is left due, so a single call after an inbox POST processes it, turns the
events it recorded into deliveries and sends them. Tests drain queues with ``run_once``; ``hub
worker`` (and ``hub serve`` unless ``--no-worker``) loops with :meth:`Worker.run` until stopped,
where inbox items and events on one side and deliveries on the other run side by side, so a long
fan-out never delays the processing of received activities.

The worker does not know ActivityPub processing itself: it is given ``process_inbox(fed, item)``
and ``handle_event(fed, event)`` (federation.processing.process_item and
federation.outbound.handle_event in production, see federation.runtime.build_worker). Each
callable records the final state of its row; if it raises, the row is retried after a short
backoff and ``failed`` once the retry rules of their lifecycle (hub.lifecycle.ITEM_RETRIES) are spent. One that returns without recording anything
leaves the row ``done``.

Deliveries flow through a pipeline rather than batches: whenever enough of the ``concurrency``
slots are free, the worker leases that many due rows and starts them at once, so one slow host
never holds up the next claim. Limits:

- at most ``per_host`` sends in flight to one host (one while a host whose pause expired is
  probed; none while its circuit is open);
- fresh rows (never tried) are claimed before retries, and retries may use at most
  ``retry_share`` of the slots: a backlog of retries to failing servers cannot starve fresh
  deliveries;
- a send still running after ``slow_after`` seconds gives its slot back (it keeps running, up to
  the deadline of the request), so slow servers cost healthy ones little; in all at most
  ``8 × concurrency`` (and 192) sends are in flight. By default ``slow_after`` follows the typical send:
  four times the moving average of successful sends' durations, between SLOW_MIN and SLOW_MAX (federation.flights keeps this count).

Outcomes are written in bulk (federation.delivery.record) once half the slots' worth of sends
finished, RECORD_DELAY after the first of them, or when nothing is in flight. Every row is leased
(LEASE_SECONDS) before it is sent and started at once, so leases never need renewing; a worker
killed mid-send leaves leases that expire (or that its restart on the same machine releases at
once, see :func:`federation.leases.release_orphaned_leases`), and another worker sends those rows again — the
at-least-once repeat of a send whose acknowledgement was not recorded. Every SAMPLE_EVERY seconds
the worker adds what it sent to the minute's QueueSample row (the admin's chart) and lifts the
bans whose end time passed (hub.services.moderation.expire_bans; a ban is lifted once however many
workers look); every TIMER_EVERY seconds, and at each ``run_once``, the features' timers (federation.timers).
While ``run`` loops, ``fed.wake_worker()`` wakes it (the inbox and services call it after storing work).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.models import Model

from federation.context import Federation
from federation.leases import default_owner, lease_left, release_orphaned_leases
from federation.delivery import (
    DEADLINE,
    Sent,
    KEYS_MAX_AGE,
    Breakers,
    SigningKey,
    SigningKeys,
    claim_deliveries,
    peer_schemes,
    record,
    scheme_for,
    sign_posts,
    transmit,
)
from federation.flights import Flights
from federation.heartbeat import beat_until_stopped
from federation.timers import Timer, run_timers, run_until_stopped
from hub.clock import now
from hub.models import Delivery, Event, InboxItem
from hub.queue import ACTIVE_STATE, claim, failed_try, finish
from hub.services import moderation
from hub.services.queue_stats import record_sample

log = logging.getLogger("causeway.worker")

T = TypeVar("T")
ProcessInbox = Callable[[Federation, InboxItem], Awaitable[None]]
HandleEvent = Callable[[Federation, Event], Awaitable[None]]

LEASE_SECONDS = 60.0
"""How long a claim holds a row; longer than any single send (two POSTs of DEADLINE each)."""
SEND_LEASE_MARGIN = 2 * DEADLINE + 5.0
"""A delivery is only sent while at least this much of its lease is left."""
ITEM_LEASE_MARGIN = 20.0
"""An inbox item or event is only started while at least this much of its lease is left."""
ITEM_BATCH = 32
IDLE_MIN = 0.05
IDLE_MAX = 1.0
STOP_GRACE = 2.0
"""Seconds in-flight work may take to finish once the worker is asked to stop."""
DEFAULT_CONCURRENCY = 96
"""Sends at once (not counting slow ones); bench/RESULTS.md has the measurements behind it."""
DEFAULT_PER_HOST = 4
RETRY_SHARE = 0.5
"""The share of the slots retries may use; the rest is kept for fresh deliveries."""
SIGN_CHUNK = 8
"""Sends whose POSTs are signed together, in one hand-off to a signing thread (federation.signing_threads)."""
RECLAIM_AFTER = 0.02
"""Seconds after a claim that found nothing before the next one (unless woken or idle)."""
RECORD_DELAY = 0.05
"""Seconds a finished send's outcome may wait to be written with others (or until half the slots' worth finished)."""
SAMPLE_EVERY = 60.0
"""Seconds between two additions to the QueueSample of the minute."""
TIMER_EVERY = 5.0
"""Seconds between two runs of the timers (time-driven work such as closing due decisions)."""


class Worker:
    """Claims and handles queued work; ``run_once`` for one pass, ``run`` until stopped."""

    def __init__(
        self,
        fed: Federation,
        *,
        owner: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        per_host: int = DEFAULT_PER_HOST,
        process_inbox: ProcessInbox,
        handle_event: HandleEvent,
        batch: int = ITEM_BATCH,
        lease_seconds: float = LEASE_SECONDS,
        grace: float = STOP_GRACE,
        idle_max: float = IDLE_MAX,
        retry_share: float = RETRY_SHARE,
        slow_after: float | None = None,
        sample_every: float = SAMPLE_EVERY,
        timers: Sequence[Timer] = (),
        timer_every: float = TIMER_EVERY,
    ) -> None:
        if concurrency < 1 or per_host < 1 or batch < 1:
            raise ValueError("concurrency, per_host and batch must be at least 1")
        if not 0 < retry_share <= 1 or (slow_after is not None and slow_after <= 0):
            raise ValueError("retry_share must be in (0, 1] and slow_after positive (or None: adaptive)")
        self.fed = fed
        self.owner = owner or default_owner()
        self.concurrency = concurrency
        self.per_host = per_host
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.grace = grace
        self.idle_max = idle_max
        self.sample_every = sample_every
        self.timers = tuple(timers)
        self.timer_every = timer_every
        self._process_inbox = process_inbox
        self._handle_event = handle_event
        self._wake_items = asyncio.Event()
        self._wake_sends = asyncio.Event()
        self._stopping = False
        self._rng = random.Random()
        self._held: dict[type[Model], set[int]] = {InboxItem: set(), Event: set(), Delivery: set()}
        self._flights = Flights(concurrency, retry_share, slow_after)
        self._unsampled: Counter[str] = Counter()
        self._unrecorded: list[Sent] = []
        self._breakers = Breakers()
        self._unrecorded_since = 0.0
        self._database_away = False
        self._empty_claim_at = -math.inf
        self._keys = SigningKeys(fed, max_age=KEYS_MAX_AGE)
        self._context = contextvars.copy_context()

    async def _db(self, work: Coroutine[Any, Any, T]) -> T:
        """Await database work in a task of its own, in a copy of the context the worker started in.

        tortoise 1.1.9 leaves its transaction wrapper in the task's context when BEGIN fails (the
        database restarted or went away): every later query of that task then fails with "connection
        has been released back to the pool", and tasks created from it inherit the broken context.
        Running each unit of work in a fresh copy of a clean context confines the damage to that
        unit, so the worker reconnects (asyncpg's pool replaces closed connections) and carries on.
        """
        return await asyncio.create_task(work, context=self._context.copy())

    def wake(self) -> None:
        """Ask an idle ``run`` loop to look for work now (new inbox item, event or delivery)."""
        self._wake_items.set()
        self._wake_sends.set()

    @property
    def held(self) -> dict[str, int]:
        """How many claimed rows of each queue this worker holds right now."""
        return {model.__name__: len(ids) for model, ids in self._held.items()}

    @property
    def in_flight(self) -> int:
        """Sends in flight right now, slow ones included."""
        return len(self._flights)

    async def run_once(self) -> int:
        """Handle due inbox items, then events, then deliveries until none is due; returns how many rows were handled."""
        self._context = contextvars.copy_context()
        self._breakers.forget()  # each pass starts from a fresh reading of the circuit breakers
        await self._db(run_timers(self.fed, self.timers, self.wake))
        handled = await self._db(self._drain(InboxItem, self._process_inbox))
        handled += await self._db(self._drain(Event, self._handle_event))
        handled += await self._pump(until_idle=True)
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set, then let sends in flight finish (``grace``) and release what is left."""
        self._stopping = False
        previous_waker, self.fed.wake_worker = self.fed.wake_worker, self.wake
        self._context = contextvars.copy_context()
        try:
            await self._db(release_orphaned_leases())
        except Exception as exc:
            log.warning("could not look for leases of stopped workers: %s", exc)
        loops = [
            asyncio.create_task(self._item_loop(), name="causeway-worker-items"),
            asyncio.create_task(self._delivery_loop(), name="causeway-worker-deliveries"),
            asyncio.create_task(self._sample_loop(), name="causeway-worker-samples"),
            asyncio.create_task(self._heartbeat_loop(), name="causeway-worker-heartbeat"),
            asyncio.create_task(self._timer_loop(), name="causeway-worker-timers"),
        ]
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self.wake()
            _, pending = await asyncio.wait(loops, timeout=self.grace)
            for task in pending:
                task.cancel()
            for result in await asyncio.gather(*loops, return_exceptions=True):
                if isinstance(result, Exception):
                    log.warning("worker loop ended with %s: %s", type(result).__name__, result)
            await self._db(self._land_flights(self.grace))
            await self._db(self._flush_sample())
            await self._db(self.release_held())
            self.fed.wake_worker = previous_waker
            self._stopping = False

    async def _pause(self, wake: asyncio.Event | None, seconds: float) -> bool:
        """Sleep up to ``seconds``, or until ``wake`` is set or the worker stops; returns whether woken."""
        if wake is None:
            wake = asyncio.Event()
        if self._stopping:
            return True
        try:
            await asyncio.wait_for(wake.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _item_loop(self) -> None:
        idle = IDLE_MIN
        while not self._stopping:
            self._wake_items.clear()
            try:
                handled = await self._db(self._drain(InboxItem, self._process_inbox))
                handled += await self._db(self._drain(Event, self._handle_event))
            except Exception:
                log.exception("worker pass over inbox items and events failed; trying again shortly")
                handled, idle = 0, self.idle_max
            if handled:
                idle = IDLE_MIN
                continue
            woken = await self._pause(self._wake_items, idle)
            idle = IDLE_MIN if woken else min(idle * 2, self.idle_max)

    async def _delivery_loop(self) -> None:
        while not self._stopping:
            try:
                await self._pump(until_idle=False)
            except Exception:
                log.exception("delivery pipeline failed; trying again shortly")
                await self._pause(self._wake_sends, self.idle_max)

    async def _sample_loop(self) -> None:
        while not self._stopping:
            await self._pause(None, self.sample_every)
            if not self._stopping:
                await self._db(self._flush_sample())
                await self._db(self._expire_bans())

    async def _heartbeat_loop(self) -> None:
        """Write this worker's heartbeat until it stops, then delete it (federation.heartbeat)."""
        await beat_until_stopped(self.owner, lambda: self._stopping, self._db, lambda s: self._pause(None, s))

    async def _timer_loop(self) -> None:
        """Run the features' timers every ``timer_every`` seconds until the worker stops (federation.timers)."""
        await run_until_stopped(self.fed, self.timers, self.wake, stopping=lambda: self._stopping, run=self._db,
                                pause=lambda s: self._pause(None, s), every=self.timer_every)

    async def _expire_bans(self) -> None:
        """Lift the bans whose end time passed (their Undo of the Block federates like a moderator's unban)."""
        try:
            lifted = await moderation.expire_bans()
        except Exception as exc:
            log.warning("could not lift ended bans: %s", exc)
            return
        if lifted:
            log.info("worker lifted=%d bans whose end time passed", lifted)
            self.wake()

    async def _flush_sample(self) -> None:
        """Add this worker's counts since the last flush to the minute's QueueSample."""
        counts, self._unsampled = self._unsampled, Counter()
        try:
            await record_sample(delivered=counts["delivered"], failed=counts["failed"])
        except Exception as exc:
            log.warning("could not record the queue sample: %s", exc)
            self._unsampled.update(counts)

    async def release_held(self) -> int:
        """Release every row this worker claimed but did not finish, so another run resumes it."""
        released = 0
        for model, ids in self._held.items():
            if ids:
                released += len(ids)
                await self._release(model, list(ids))
        return released

    async def _release(self, model: type[Model], ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        query = model.filter(id__in=ids, state=ACTIVE_STATE[model])
        try:
            if model is Delivery:
                await query.filter(lease_owner=self.owner).update(lease_until=None, lease_owner=None)
            else:
                await query.update(lease_until=None)
        except Exception as exc:  # the lease then simply expires
            log.warning("could not release %d %s leases: %s", len(ids), model.__name__, exc)
        self._held[model].difference_update(ids)

    # Inbox items and events: one after the other, in claim order.

    async def _drain(self, model: type[InboxItem] | type[Event], handler: Callable) -> int:
        rows = await claim(model, limit=self.batch, lease_seconds=self.lease_seconds)
        self._held[model].update(row.id for row in rows)
        done = 0
        try:
            for row in rows:
                if self._stopping or not lease_left(row, ITEM_LEASE_MARGIN):
                    break
                await self._handle(model, row, handler)
                done += 1
        except BaseException:
            await self._release(model, [row.id for row in rows[done:]])
            raise
        await self._release(model, [row.id for row in rows[done:]])
        return done

    async def _handle(self, model: type[InboxItem] | type[Event], row: InboxItem | Event, handler: Callable) -> None:
        extra = {"processed_at": now()} if model is InboxItem else {}
        try:
            await handler(self.fed, row)
        except Exception as exc:
            await self._failed(model, row, exc)
        else:
            if row.state == ACTIVE_STATE[model] and row.lease_until is not None:
                await finish(row, "done", **extra)
        if model is InboxItem:
            self.fed.metrics.inbox_processed.inc(state=row.state)
        self._held[model].discard(row.id)

    async def _failed(self, model: type[InboxItem] | type[Event], row: InboxItem | Event, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        row.state = ACTIVE_STATE[model]  # whatever the handler set in memory was rolled back
        delay = await failed_try(row, error, given_up={"processed_at": now()} if model is InboxItem else {})
        if delay is None:
            log.warning("%s %s failed for good after %d tries", model.__name__, row.id, row.tries, exc_info=exc)
        else:
            log.warning("%s %s failed (try %d), retrying in %.0f s: %s", model.__name__, row.id, row.tries, delay, error)

    # Deliveries: a pipeline of concurrent sends.

    async def _pump(self, *, until_idle: bool) -> int:
        """Keep the slots filled with sends; with ``until_idle`` return once nothing is due or in flight.

        Returns how many sends were recorded. Without ``until_idle`` it idles (woken by
        ``wake``) instead of returning, until the worker stops.
        """
        recorded = 0
        idle = IDLE_MIN
        look = True
        threshold = max(1, self.concurrency // 4)
        while not self._stopping:
            if self._unrecorded and self._record_due():
                recorded += await self._db(self._record_landed())
                if self._database_away and not self._flights:  # wait, claim nothing
                    await self._pause(None, self.idle_max)
                    continue
            started = 0
            free, _ = self._flights.free(time.monotonic())
            # After a claim found nothing, look again only once sends are done, new work wakes us, or
            # RECLAIM_AFTER passed: not after every landing at the tail of a fan-out.
            recently_empty = self._flights and time.monotonic() - self._empty_claim_at < RECLAIM_AFTER
            if look and not self._database_away and not recently_empty and (free >= threshold or not self._flights):
                self._wake_sends.clear()
                started = await self._db(self._start_sends())
                self._empty_claim_at = -math.inf if started else time.monotonic()
                look = False
            if not self._flights:
                if started:
                    continue
                if until_idle:
                    break
                woken = await self._pause(self._wake_sends, idle)
                idle = IDLE_MIN if woken else min(idle * 2, self.idle_max)
                look = True
                continue
            idle = IDLE_MIN
            waiters: set[asyncio.Future] = set(self._flights)
            woken = None
            if not until_idle:
                woken = asyncio.ensure_future(self._wake_sends.wait())
                waiters.add(woken)
            done, _ = await asyncio.wait(waiters, timeout=self._next_deadline(), return_when=asyncio.FIRST_COMPLETED)
            if woken is not None:
                if woken.done():
                    self._wake_sends.clear()  # new rows are claimed as soon as slots are free
                    self._empty_claim_at = -math.inf
                else:
                    woken.cancel()
            landed = [task for task in done if task in self._flights]
            if landed:
                await self._db(self._land(landed))
            look = True
        if self._unrecorded:
            recorded += await self._db(self._record_landed())
        return recorded

    def _record_due(self) -> bool:
        """Whether to write the outcomes waiting: enough of them, the oldest waited RECORD_DELAY, or nothing in flight."""
        if not self._flights or len(self._unrecorded) >= max(1, self.concurrency // 2):
            return True
        return time.monotonic() - self._unrecorded_since >= RECORD_DELAY

    def _next_deadline(self) -> float | None:
        """Seconds until the pump must look again: a flight turning slow, or waiting outcomes to write."""
        slow = self._flights.until_slow()
        if not self._unrecorded:
            return slow
        record = max(0.001, self._unrecorded_since + RECORD_DELAY - time.monotonic())
        return record if slow is None else min(slow, record)

    async def _start_sends(self) -> int:
        """Lease as many due rows as there are free slots (fresh ones first) and start sending them."""
        free, retry_free = self._flights.free(time.monotonic())
        if free <= 0:
            return 0
        paused, probing = await self._breakers.read()
        busy = self._flights.host_busy
        room = {host: (1 if host in probing else self.per_host) - busy[host] for host in set(busy) | probing}
        # One claim for both: fresh rows first (fewest tries), retries only into their own share of the slots.
        rows = await claim_deliveries(self.owner, limit=free, lease_seconds=self.lease_seconds, exclude_hosts=paused,
                                      per_host=self.per_host, room=room, retry_limit=max(0, retry_free))
        if rows:
            await self._launch(rows)
        return len(rows)

    async def _launch(self, rows: Sequence[Delivery]) -> None:
        self._held[Delivery].update(row.id for row in rows)
        try:
            keys = self._keys
            schemes = await peer_schemes(row.host for row in rows)
            signing = {actor: await keys.get(actor) for actor in {row.actor_uri for row in rows}}
        except BaseException:
            await self._release(Delivery, [row.id for row in rows])
            raise
        expired = [row.id for row in rows if not lease_left(row, SEND_LEASE_MARGIN)]
        if expired:
            await self._release(Delivery, expired)
        sends = [(row, signing[row.actor_uri], scheme_for(schemes.get(row.host))) for row in rows if row.id not in expired]
        moment = time.monotonic()
        for start in range(0, len(sends), SIGN_CHUNK):
            chunk = sends[start:start + SIGN_CHUNK]
            signed = self._sign(chunk)
            for index, (row, key, scheme) in enumerate(chunk):
                self._flights.start(asyncio.create_task(self._send(row, key, scheme, signed, index)), row, moment)

    def _sign(self, sends: Sequence[tuple[Delivery, SigningKey | None, str]]) -> asyncio.Future | None:
        """The sends' POSTs being signed together on a signing thread, when they go out on the real network.

        One hand-off per SIGN_CHUNK sends, not per send: a thread pool's hand-off costs about as much
        of the event loop's time as the Python part of a signature. Through an injected transport
        (tests) each send signs its own request (None).
        """
        if getattr(self.fed.client, "direct", None) is None:
            return None
        return asyncio.ensure_future(self.fed.signing.run(sign_posts, sends))

    async def _send(self, row: Delivery, key: SigningKey | None, scheme: str, signed: asyncio.Future | None,
                    index: int) -> Sent:
        headers = None
        if signed is not None:
            try:
                # Shielded: one send cancelled must not cancel its chunk's signing for the others.
                headers = (await asyncio.shield(signed))[index]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the pool is only a speed-up: sign in place instead
                log.warning("signing thread failed for delivery id=%s (%s: %s); signing in place", row.id,
                            type(exc).__name__, exc)
        return await transmit(self.fed, row, key, scheme, headers)

    async def _land(self, tasks: Iterable[asyncio.Task]) -> None:
        """Take finished sends off their slots, their outcomes to be written (:meth:`_record_landed`);
        a send that broke is released for another try."""
        broken: list[int] = []
        for task in tasks:
            flight = self._flights.take_off(task)
            error = task.exception() if not task.cancelled() else asyncio.CancelledError()
            if error is None:
                if not self._unrecorded:
                    self._unrecorded_since = time.monotonic()
                self._unrecorded.append(task.result())
                self._flights.learn([task.result()])
            else:
                log.error("delivery id=%s host=%s broke: %r; releasing it", flight.row.id, flight.row.host, error)
                broken.append(flight.row.id)
        await self._release(Delivery, broken)

    async def _record_landed(self) -> int:
        """Write the outcomes waiting to be recorded; kept for the next call while the database is away.

        A send whose 2xx could not be written yet keeps its lease (still held by this worker), so it
        is not sent again while the worker waits for the database to come back.
        """
        if not self._unrecorded:
            return 0
        results, self._unrecorded = self._unrecorded, []
        try:
            outcomes = await record(self.fed, results, rng=self._rng)
        except Exception as exc:
            self._unrecorded = results + self._unrecorded
            self._database_away = True
            log.error("could not record sends=%d (%s: %s); trying again shortly", len(results), type(exc).__name__, exc)
            return 0
        self._database_away = False
        self._held[Delivery].difference_update(sent.delivery.id for sent in results)
        for outcome in outcomes:
            self._unsampled["delivered" if outcome == "delivered" else "failed"] += 1
        if any(outcome != "delivered" for outcome in outcomes):
            self._breakers.forget()  # a failure may have opened a host's circuit: read the breakers again
        return len(results)

    async def _land_flights(self, grace: float) -> None:
        """On stop: let sends in flight finish for up to ``grace`` seconds, record them, release the rest."""
        if not self._flights:
            await self._record_landed()  # outcomes still waiting (the pump was stopped before writing them)
            return
        done, pending = await asyncio.wait(set(self._flights), timeout=grace)
        if done:
            await self._land(done)
        await self._record_landed()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            rows = [self._flights.take_off(task).row.id for task in pending]
            log.info("stopping: %d sends did not finish within %.1f s; released for the next start", len(rows), grace)
            await self._release(Delivery, rows)
