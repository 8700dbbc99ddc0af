"""The background worker: drains the inbox, the domain events and the delivery queue.

One :meth:`Worker.run_once` claims and handles, in this order, due inbox items, due events and due
deliveries, so a single call after an inbox POST processes it, turns the events it recorded into
deliveries and sends them. Tests drain queues with ``run_once``; ``hub worker`` loops with
:meth:`Worker.run` until stopped.

The worker does not know ActivityPub processing itself: it is given ``process_inbox(fed, item)``
and ``handle_event(fed, event)`` (federation.processing.process_item and
federation.outbound.handle_event in production, see federation.runtime.build_worker). Each
callable records the final state of its row; if it raises, the row is retried after a short
backoff and ``failed`` after ITEM_MAX_TRIES tries. One that returns without recording anything
leaves the row ``done``.

Deliveries are sent concurrently: at most ``concurrency`` at once, at most ``per_host`` to one
host. Paused hosts (open circuit) are not claimed; a host whose pause has expired gets one probe
before the rest of its batch. A row whose lease would run out before a send could finish is
released instead of sent, so leases (60 s) never need renewing.

While ``run`` loops, ``fed.wake_worker()`` wakes it (the inbox and services call it after storing
work). Claims run one batch at a time: a slow host delays the next claim by at most its deadline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from tortoise.models import Model

from federation.context import Federation
from federation.delivery import DEADLINE, SigningKeys, is_paused, paused_hosts, probing_hosts, send
from hub.clock import now
from hub.models import Delivery, Event, InboxItem
from hub.queue import ACTIVE_STATE, claim, finish, retry_later

log = logging.getLogger("causeway.worker")

ProcessInbox = Callable[[Federation, InboxItem], Awaitable[None]]
HandleEvent = Callable[[Federation, Event], Awaitable[None]]

LEASE_SECONDS = 60.0
"""How long a claim holds a row; longer than any single send (two POSTs of DEADLINE each)."""
SEND_LEASE_MARGIN = 2 * DEADLINE + 5.0
"""A delivery is only sent while at least this much of its lease is left."""
ITEM_LEASE_MARGIN = 20.0
"""An inbox item or event is only started while at least this much of its lease is left."""
ITEM_BATCH = 32
ITEM_MAX_TRIES = 5
IDLE_MIN = 0.05
IDLE_MAX = 1.0
STOP_GRACE = 2.0
"""Seconds in-flight work may take to finish once the worker is asked to stop."""


def item_retry_delay(tries: int) -> float | None:
    """Seconds before retrying an inbox item or event after ``tries`` failures (5, 20, 80, 320); None: give up."""
    if tries >= ITEM_MAX_TRIES:
        return None
    return 5.0 * 4 ** (max(tries, 1) - 1)


def default_owner() -> str:
    """A lease owner name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _lease_left(row: Model, margin: float) -> bool:
    lease_until = row.lease_until
    return lease_until is not None and lease_until - now() > timedelta(seconds=margin)


@dataclass
class _HostGate:
    """Per-host limits within one batch: a semaphore, and the probe of a host whose pause expired."""

    semaphore: asyncio.Semaphore
    probing: bool
    prober: int | None = None
    probed: asyncio.Event = field(default_factory=asyncio.Event)
    paused: bool = False


class Worker:
    """Claims and handles queued work; ``run_once`` for one pass, ``run`` until stopped."""

    def __init__(
        self,
        fed: Federation,
        *,
        owner: str | None = None,
        concurrency: int = 16,
        per_host: int = 4,
        process_inbox: ProcessInbox,
        handle_event: HandleEvent,
        batch: int = ITEM_BATCH,
        lease_seconds: float = LEASE_SECONDS,
        grace: float = STOP_GRACE,
        idle_max: float = IDLE_MAX,
    ) -> None:
        if concurrency < 1 or per_host < 1 or batch < 1:
            raise ValueError("concurrency, per_host and batch must be at least 1")
        self.fed = fed
        self.owner = owner or default_owner()
        self.concurrency = concurrency
        self.per_host = per_host
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.grace = grace
        self.idle_max = idle_max
        self._process_inbox = process_inbox
        self._handle_event = handle_event
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = False
        self._rng = random.Random()
        self._held: dict[type[Model], set[int]] = {InboxItem: set(), Event: set(), Delivery: set()}

    def wake(self) -> None:
        """Ask an idle ``run`` loop to look for work now (new inbox item, event or delivery)."""
        self._wake.set()

    @property
    def held(self) -> dict[str, int]:
        """How many claimed rows of each queue this worker holds right now."""
        return {model.__name__: len(ids) for model, ids in self._held.items()}

    async def run_once(self) -> int:
        """Handle due inbox items, then events, then deliveries; returns how many rows were handled."""
        handled = await self._drain(InboxItem, self._process_inbox)
        handled += await self._drain(Event, self._handle_event)
        handled += await self._deliveries()
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Loop ``run_once`` until ``stop`` is set, then release what was claimed but not done."""
        self._stopping = False
        idle = IDLE_MIN
        stopped = asyncio.ensure_future(stop.wait())
        step: asyncio.Future | None = None
        previous_waker, self.fed.wake_worker = self.fed.wake_worker, self.wake
        try:
            while not stop.is_set():
                self._wake.clear()
                step = asyncio.ensure_future(self.run_once())
                await asyncio.wait({step, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    break
                try:
                    handled = step.result()
                except Exception:
                    log.exception("worker pass failed; trying again shortly")
                    handled, idle = 0, self.idle_max
                if handled:
                    idle = IDLE_MIN
                    continue
                woken = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({woken, stopped}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                idle = IDLE_MIN if self._wake.is_set() else min(idle * 2, self.idle_max)
        finally:
            self.fed.wake_worker = previous_waker
            self._stopping = True
            stopped.cancel()
            if step is not None and not step.done():
                await self._finish_step(step)
            await self.release_held()
            self._stopping = False

    async def _finish_step(self, step: asyncio.Future) -> None:
        done, _ = await asyncio.wait({step}, timeout=self.grace)
        if not done:
            step.cancel()
        results = await asyncio.gather(step, return_exceptions=True)
        if isinstance(results[0], Exception):
            log.warning("worker pass ended with %s: %s", type(results[0]).__name__, results[0])

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

    async def _drain(self, model: type[InboxItem] | type[Event], handler: Callable) -> int:
        rows = await claim(model, owner=self.owner, limit=self.batch, lease_seconds=self.lease_seconds)
        self._held[model].update(row.id for row in rows)
        done = 0
        try:
            for row in rows:
                if self._stopping or not _lease_left(row, ITEM_LEASE_MARGIN):
                    break
                await self._handle(model, row, handler)
                done += 1
        except Exception:
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
        self._held[model].discard(row.id)

    async def _failed(self, model: type[InboxItem] | type[Event], row: InboxItem | Event, exc: Exception) -> None:
        tries = row.tries + 1
        error = f"{type(exc).__name__}: {exc}"
        row.state = ACTIVE_STATE[model]  # whatever the handler set in memory was rolled back
        delay = item_retry_delay(tries)
        if delay is None:
            log.warning("%s %s failed for good after %d tries", model.__name__, row.id, tries, exc_info=exc)
            extra = {"processed_at": now()} if model is InboxItem else {}
            await finish(row, "failed", tries=tries, last_error=error[:2000], **extra)
        else:
            log.warning("%s %s failed (try %d), retrying in %.0f s: %s", model.__name__, row.id, tries, delay, error)
            await retry_later(row, delay, error)

    async def _deliveries(self) -> int:
        exclude = tuple(await paused_hosts())
        rows = await claim(
            Delivery, owner=self.owner, limit=self.concurrency * 4, lease_seconds=self.lease_seconds, exclude_hosts=exclude
        )
        if not rows:
            return 0
        self._held[Delivery].update(row.id for row in rows)
        probing = await probing_hosts(row.host for row in rows)
        gates = {host: _HostGate(asyncio.Semaphore(self.per_host), host in probing) for host in {r.host for r in rows}}
        keys = SigningKeys(self.fed)
        sent = await asyncio.gather(*(self._deliver(row, gates[row.host], keys) for row in rows))
        return sum(sent)

    async def _deliver(self, row: Delivery, gate: _HostGate, keys: SigningKeys) -> bool:
        try:
            if gate.probing:
                if gate.prober is None:
                    gate.prober = row.id
                else:
                    await gate.probed.wait()
            async with self._slots, gate.semaphore:
                if self._stopping or gate.paused or not _lease_left(row, SEND_LEASE_MARGIN):
                    await self._release(Delivery, [row.id])
                    return False
                outcome = await send(self.fed, row, keys=keys, rng=self._rng)
                self._held[Delivery].discard(row.id)
            if outcome == "delivered":
                gate.probing = False
            elif outcome in ("retry", "dead"):
                gate.paused = await is_paused(row.host)
            return True
        except Exception:
            log.exception("delivery %s to %s broke; releasing it", row.id, row.inbox)
            await self._release(Delivery, [row.id])
            return False
        finally:
            if gate.prober == row.id:
                gate.probed.set()
