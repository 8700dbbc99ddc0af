"""Is this hub working? The database answers, and a worker wrote its heartbeat recently.

Every running worker (``hub worker``, or the one inside ``hub serve``) writes its
:class:`~hub.models.WorkerHeartbeat` row every :data:`HEARTBEAT_EVERY` seconds and deletes it when
it stops cleanly. :func:`check` is what ``GET /healthz`` reports to load balancers: healthy when a
trivial query answers within :data:`DATABASE_TIMEOUT` seconds and the newest heartbeat is at most
:data:`HEARTBEAT_STALE` seconds old, whichever process wrote it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import Tortoise

from hub.clock import now
from hub.models import WorkerHeartbeat

HEARTBEAT_EVERY = 10.0
"""Seconds between two heartbeats of a worker."""
HEARTBEAT_STALE = 60.0
"""A heartbeat older than this means no worker is running (or none reaches the database)."""
DATABASE_TIMEOUT = 3.0
"""Seconds the database has to answer ``SELECT 1``."""
FORGET_AFTER = timedelta(days=1)
"""Rows of workers that died without cleaning up are deleted after this long."""


@dataclass(frozen=True)
class Health:
    """What /healthz says: each part is ``"ok"`` or a short reason, with the heartbeat's age when known."""

    database: str
    worker: str
    worker_age: float | None

    @property
    def ok(self) -> bool:
        """True when the database and a worker are both fine."""
        return self.database == "ok" and self.worker == "ok"


async def beat(owner: str, started_at: datetime) -> None:
    """Write the worker's heartbeat (creating its row on the first beat) and drop rows of long-dead workers."""
    moment = now()
    if not await WorkerHeartbeat.filter(owner=owner).update(beat_at=moment):
        await WorkerHeartbeat.create(owner=owner, started_at=started_at, beat_at=moment)
        await WorkerHeartbeat.filter(beat_at__lt=moment - FORGET_AFTER).delete()


async def forget(owner: str) -> None:
    """Delete the worker's heartbeat (it stopped cleanly)."""
    await WorkerHeartbeat.filter(owner=owner).delete()


async def _database_answers() -> None:
    await Tortoise.get_connection("default").execute_query("SELECT 1")


async def check(*, stale_after: float = HEARTBEAT_STALE) -> Health:
    """The database's and the workers' state, as :class:`Health`."""
    try:
        await asyncio.wait_for(_database_answers(), DATABASE_TIMEOUT)
    except TimeoutError:
        return Health(f"no answer within {DATABASE_TIMEOUT:g} s", "unknown (database unreachable)", None)
    except Exception as exc:  # any driver error means the same to a load balancer
        return Health(f"unreachable ({type(exc).__name__})", "unknown (database unreachable)", None)
    newest = await WorkerHeartbeat.all().order_by("-beat_at").first()
    if newest is None:
        return Health("ok", "no worker heartbeat (start `hub worker`, or `hub serve` without --no-worker)", None)
    age = max((now() - newest.beat_at).total_seconds(), 0.0)
    if age > stale_after:
        return Health("ok", f"last worker heartbeat {age:.0f} s ago (more than {stale_after:g} s)", age)
    return Health("ok", "ok", age)
