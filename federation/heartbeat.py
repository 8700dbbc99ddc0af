"""The worker's heartbeat loop: it writes the worker's row (hub.services.health) while it runs.

``GET /healthz`` is healthy only while some worker beat in the last minute, so each running
worker writes its :class:`~hub.models.WorkerHeartbeat` every ``health.HEARTBEAT_EVERY`` seconds
and deletes it when it stops cleanly. A failed write is logged and retried at the next beat: the
stale row is then exactly what /healthz should report.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from hub.clock import now
from hub.services import health

log = logging.getLogger("causeway.worker")

Run = Callable[[Coroutine[Any, Any, None]], Awaitable[None]]
"""How the worker awaits a unit of database work (its ``_db``: a fresh task per unit)."""
Pause = Callable[[float], Awaitable[object]]
"""How the worker sleeps: returns early when the worker stops."""


async def beat_until_stopped(owner: str, stopping: Callable[[], bool], run: Run, pause: Pause) -> None:
    """Write ``owner``'s heartbeat every ``health.HEARTBEAT_EVERY`` seconds until ``stopping()``, then delete it."""
    started = now()
    try:
        while not stopping():
            try:
                await run(health.beat(owner, started))
            except Exception as exc:  # /healthz then reports the stale heartbeat
                log.warning("could not write the worker heartbeat: %s", exc)
            await pause(health.HEARTBEAT_EVERY)
    finally:
        await run(health.forget(owner))
