"""Tests for federation.heartbeat: the loop beats until the worker stops, survives a failed write, and cleans up."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

from federation.heartbeat import beat_until_stopped
from hub.models import WorkerHeartbeat
from hub.services import health

pytestmark = pytest.mark.db


async def test_beats_each_pause_until_stopped_then_deletes_the_row(db) -> None:
    """Three pauses mean three beats of one row; once stopping() is true the row is gone and /healthz has no worker."""
    pauses: list[float] = []
    seen: list[bool] = []

    async def run(work: Coroutine[Any, Any, None]) -> None:
        await work

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        seen.append(await WorkerHeartbeat.filter(owner="box:1:aa").exists())

    await beat_until_stopped("box:1:aa", lambda: len(pauses) >= 3, run, pause)
    assert pauses == [health.HEARTBEAT_EVERY] * 3 and seen == [True, True, True]
    assert not await WorkerHeartbeat.filter(owner="box:1:aa").exists()
    assert "no worker heartbeat" in (await health.check()).worker


async def test_a_failed_write_is_logged_and_the_loop_goes_on(db, caplog) -> None:
    """When the database refuses the first beat, the loop logs it, beats again at the next turn, and still cleans up."""
    calls: list[str] = []
    pauses: list[float] = []

    async def run(work: Coroutine[Any, Any, None]) -> None:
        calls.append(work.cr_code.co_name)
        if len(calls) == 1:
            work.close()
            raise ConnectionError("database went away")
        await work

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    await beat_until_stopped("box:2:bb", lambda: len(pauses) >= 2, run, pause)
    assert calls == ["beat", "beat", "forget"]
    assert "could not write the worker heartbeat: database went away" in caplog.text
    assert not await WorkerHeartbeat.filter(owner="box:2:bb").exists()
