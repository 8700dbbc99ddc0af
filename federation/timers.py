"""The worker's timers: time-driven work that features declare (``Feature.timers``, assembled by
federation.registry), such as closing decisions whose time came and queueing events' reminders.

Each timer is ``async fn(fed) -> int`` (how much it did); the worker runs them all at the start of
every ``run_once`` and every few seconds while it loops. A timer that fails is logged and runs
again next time; the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from federation.context import Federation

log = logging.getLogger("causeway.worker")

Timer = Callable[[Federation], Awaitable[int]]
"""Time-driven work of a feature; returns how much it did (events recorded, rows changed)."""
Run = Callable[[Coroutine[Any, Any, None]], Awaitable[None]]
"""How the worker awaits a unit of database work (its ``_db``)."""
Pause = Callable[[float], Awaitable[object]]
"""How the worker sleeps: returns early when the worker stops."""


async def run_timers(fed: Federation, timers: Sequence[Timer], wake: Callable[[], None]) -> None:
    """Run each timer once; ``wake`` the worker when one did something (its events wait to be handled)."""
    for timer in timers:
        try:
            if await timer(fed):
                wake()
        except Exception as exc:
            log.warning("timer %s failed: %s", getattr(timer, "__name__", timer), exc)


async def run_until_stopped(fed: Federation, timers: Sequence[Timer], wake: Callable[[], None], *,
                            stopping: Callable[[], bool], run: Run, pause: Pause, every: float) -> None:
    """Run the timers every ``every`` seconds until ``stopping()``."""
    while timers and not stopping():
        await run(run_timers(fed, timers, wake))
        await pause(every)
