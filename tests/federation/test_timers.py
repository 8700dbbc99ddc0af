"""The worker's timers: each runs once per pass, a failing one does not stop the others, and work done wakes the worker."""

from __future__ import annotations

from federation.timers import run_timers, run_until_stopped


async def test_each_timer_runs_and_a_failing_one_is_logged_not_raised(caplog) -> None:
    """A timer that did something wakes the worker; one that raises is logged and the next still runs."""
    ran: list[str] = []
    woken: list[bool] = []

    async def idle(fed):
        ran.append("idle")
        return 0

    async def broken(fed):
        ran.append("broken")
        raise RuntimeError("database away")

    async def busy(fed):
        ran.append("busy")
        return 2

    await run_timers(None, (idle, broken, busy), lambda: woken.append(True))
    assert ran == ["idle", "broken", "busy"]
    assert woken == [True]
    assert "timer broken failed: database away" in caplog.text


async def test_run_until_stopped_runs_every_pause_until_stopped() -> None:
    """The loop runs the timers, pauses, and ends once the worker stops; with no timers it does nothing."""
    passes: list[int] = []

    async def count(fed):
        passes.append(1)
        return 0

    async def run(coroutine):
        await coroutine

    async def pause(seconds: float) -> None:
        assert seconds == 5.0

    await run_until_stopped(None, (count,), lambda: None, stopping=lambda: len(passes) >= 3, run=run, pause=pause, every=5.0)
    assert len(passes) == 3
    await run_until_stopped(None, (), lambda: None, stopping=lambda: False, run=run, pause=pause, every=5.0)
    assert len(passes) == 3
