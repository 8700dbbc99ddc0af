"""Tests for hub.services.health: heartbeats written, refreshed, forgotten; the newest one decides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.models import WorkerHeartbeat
from hub.services import health

pytestmark = pytest.mark.db


async def test_beats_refresh_one_row_per_worker_and_forget_removes_it(db) -> None:
    """Two beats of one worker keep one row; forget deletes it and the hub has no worker again."""
    started = now()
    await health.beat("box:1:aa", started)
    first = (await WorkerHeartbeat.get(owner="box:1:aa")).beat_at
    await health.beat("box:1:aa", started)
    rows = await WorkerHeartbeat.all()
    assert len(rows) == 1 and rows[0].beat_at >= first
    assert (await health.check()).ok
    await health.forget("box:1:aa")
    state = await health.check()
    assert not state.ok and state.database == "ok" and "no worker heartbeat" in state.worker


async def test_newest_heartbeat_decides_and_dead_rows_are_dropped(db) -> None:
    """A stale worker does not make the hub unhealthy while another beats; rows over a day old go at the next start."""
    moment = now()
    await WorkerHeartbeat.create(owner="old:1:aa", started_at=moment - timedelta(days=3), beat_at=moment - timedelta(days=2))
    await WorkerHeartbeat.create(owner="stale:1:bb", started_at=moment, beat_at=moment - timedelta(seconds=90))
    state = await health.check()
    assert not state.ok and "90 s ago" in state.worker and state.worker_age >= 90
    await health.beat("fresh:1:cc", moment)
    assert (await health.check()).ok
    assert sorted(await WorkerHeartbeat.all().values_list("owner", flat=True)) == ["fresh:1:cc", "stale:1:bb"]
