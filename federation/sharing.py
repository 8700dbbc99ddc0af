"""What the hub's processes share when they run on one PostgreSQL: rate budgets, change notices and metrics.

:func:`start_sharing` is called by each process (the lifespan of ``hub serve``, ``hub worker``)
once the database is connected. On SQLite it does nothing: one process, everything in memory.
On PostgreSQL:

- the inbox limiter takes its tokens from shared buckets (federation.shared_limits): in
  PostgreSQL, or in Redis when ``HUB_REDIS_URL`` is set;
- a ``hub serve`` process listens for the other processes' changes (hub.broadcast), so a block
  or a new post made through one process reaches the others' copies within milliseconds;
- every process writes its counters to ``metric_counts`` every :data:`FLUSH_EVERY` seconds (and
  when /metrics is read, and when it stops), and /metrics sums them (federation.shared_metrics).

Failures here never stop the process: a flush that fails is tried again at the next one; the
listener reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from federation import shared_metrics
from federation.metrics import Metrics
from federation.ratelimit import InboxLimiter
from federation.shared_limits import BudgetStore, PostgresBudgets, RedisBudgets
from hub.broadcast import PROCESS, Listener
from hub.settings import Settings

FLUSH_EVERY = 5.0
"""Seconds between two writes of this process's counters."""

log = logging.getLogger("causeway.sharing")


@dataclass
class Sharing:
    """The shared state of one process (None parts: not shared)."""

    metrics: Metrics
    store: BudgetStore | None = None
    listener: Listener | None = None
    process: str = PROCESS
    _flusher: asyncio.Task | None = field(default=None, repr=False)

    async def flush(self) -> None:
        """Write this process's counters now."""
        await shared_metrics.flush(self.metrics, self.process)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self.flush()
            except Exception as exc:  # the database away for a moment: the next flush writes the totals
                log.debug("could not write this process's metrics: %s", exc)

    async def stop(self) -> None:
        """Write the counters one last time and release the connections."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.flush(), 5)
        if self.listener is not None:
            await self.listener.stop()
        if self.store is not None:
            await self.store.close()


async def start_sharing(settings: Settings, limiter: InboxLimiter, metrics: Metrics, *, listen: bool) -> Sharing | None:
    """Share this process's budgets, changes (``listen``: the web processes) and counters; None on SQLite."""
    if settings.is_sqlite:
        return None
    store = RedisBudgets(settings.redis_url) if settings.redis_url else PostgresBudgets(settings.database_url)
    limiter.store = store
    sharing = Sharing(metrics, store=store)
    if listen:
        sharing.listener = Listener(settings.database_url)
        sharing.listener.start()
    sharing._flusher = asyncio.create_task(sharing._flush_forever(), name="causeway-metrics-flush")
    return sharing
