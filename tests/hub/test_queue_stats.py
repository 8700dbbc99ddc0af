"""Tests for hub.services.queue_stats and ``hub deliveries``: samples, dead letters, instance health, the progress bar."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest

from hub import commands
from hub.clock import now
from hub.models import Delivery, Group, Peer, QueueSample
from hub.services import groups
from hub.settings import load_settings
from hub.services.queue_stats import (
    dead_deliveries,
    instance_health,
    queue_counts,
    record_sample,
    Retried,
    retry_dead,
)
from hub.terminal import progress_line

HUB = Path(sys.executable).with_name("hub")


async def delivery(host: str, state: str = "queued", **fields) -> Delivery:
    """A delivery row to ``https://host/inbox``."""
    fields.setdefault("next_try_at", now())
    fields.setdefault("actor_uri", "https://hub/groups/g")
    return await Delivery.create(inbox=f"https://{host}/inbox", host=host,
                                 activity_uri="https://hub/a/1", body="{}", state=state, **fields)


async def test_samples_of_one_minute_add_up_in_one_row(db, database_backend: str) -> None:
    """Workers adding their counts in the same minute share one QueueSample row, with the latest depth."""
    await delivery("a.example")
    await delivery("b.example", state="dead")
    await record_sample(delivered=5, failed=1)
    await asyncio.gather(*(record_sample(delivered=2, failed=0) for _ in range(4)))
    rows = await QueueSample.all()
    if len(rows) == 2:  # the minute turned during the test
        rows = [QueueSample(delivered=sum(r.delivered for r in rows), failed=sum(r.failed for r in rows),
                            queued=rows[-1].queued, dead=rows[-1].dead)]
    (sample,) = rows
    assert (sample.delivered, sample.failed, sample.queued, sample.dead) == (13, 1, 1, 1), database_backend


async def test_dead_letters_are_listed_and_queued_again(db) -> None:
    """--dead lists the given-up deliveries newest first; --retry-dead queues them with a fresh schedule."""
    await delivery("a.example", state="dead", tries=17, last_status=503, last_error="gave up after 17 tries: HTTP 503")
    await delivery("b.example", state="dead", tries=1, last_status=404, last_error="not found")
    await delivery("c.example", state="delivered")
    listed = await dead_deliveries()
    assert [d["host"] for d in listed] == ["b.example", "a.example"]
    assert listed[1]["last_error"].startswith("gave up") and listed[1]["tries"] == 17
    assert [d["host"] for d in await dead_deliveries(host="a.example")] == ["a.example"]
    assert await retry_dead(host="a.example", group_actor=actor_of) == Retried(queued=1, held=0)
    row = await Delivery.get(host="a.example")
    assert (row.state, row.tries, row.lease_until) == ("queued", 0, None) and row.next_try_at <= now()
    assert (await retry_dead(group_actor=actor_of)).queued == 1
    assert (await queue_counts())["dead"] == 0


def actor_of(slug: str) -> str:
    """A group's actor URI as the deliveries of these tests carry it."""
    return f"https://hub/groups/{slug}"


async def test_dead_letters_a_suspended_group_signed_are_held(db) -> None:
    """Dead letters the suspended group signed before its suspension stay dead and are counted; its suspension's own
    announcement (queued after), other groups' letters and other hosts' are queued again."""
    await groups.create_group("g", "G")
    held = await delivery("a.example", state="dead")
    await Delivery.filter(id=held.id).update(created_at=now() - timedelta(hours=1))
    await Group.filter(slug="g").update(suspended_at=now() - timedelta(minutes=1))
    announcement = await delivery("a.example", state="dead")
    elsewhere = await delivery("b.example", state="dead", actor_uri="https://hub/groups/other")
    assert await retry_dead(group_actor=actor_of, host="a.example") == Retried(queued=1, held=1)
    assert await retry_dead(group_actor=actor_of) == Retried(queued=1, held=1)
    states = {d.id: d.state for d in await Delivery.all()}
    assert states == {held.id: "dead", announcement.id: "queued", elsewhere.id: "queued"}


async def test_instance_health_lists_failing_servers_first(db) -> None:
    """Servers with failures come first, then those with queued or dead deliveries, then healthy ones."""
    moment = now()
    await Peer.create(host="fine.example", last_success_at=moment)
    await Peer.create(host="down.example", consecutive_failures=9, paused_until=moment + timedelta(hours=1))
    await Peer.create(host="flaky.example", consecutive_failures=2)
    await delivery("fine.example")
    await delivery("new.example", state="dead")
    rows = await instance_health()
    assert [r["host"] for r in rows] == ["down.example", "flaky.example", "fine.example", "new.example"]
    assert (rows[2]["queued"], rows[3]["dead"], rows[3]["software"]) == (1, 1, None)


async def test_queue_counts_separate_due_from_later(db) -> None:
    """``due`` counts what can be sent now; retries scheduled later are only ``queued``."""
    await delivery("a.example")
    await delivery("b.example", next_try_at=now() + timedelta(minutes=10))
    counts = await queue_counts()
    assert (counts["queued"], counts["due"], counts["delivered"], counts["dead"]) == (2, 1, 0, 0)


def test_progress_line() -> None:
    """A bar, the share sent, what is due, what waits, the rate and the time left."""
    line = progress_line(250, 1000, rate=50.0, dead=3, later=7, width=10)
    assert line.startswith("[##--------]  25%  250/1,000 sent · 750 due · 7 retry later · 3 dead · 50/s · ETA 15s")
    assert progress_line(0, 0).endswith("done")


def test_hub_deliveries_dead_retry_and_watch(database_url: str, tmp_path: Path) -> None:
    """The command lists dead letters as JSON, queues them again, and --watch ends once nothing is due."""
    insert = ("INSERT INTO deliveries (inbox, host, actor_uri, activity_uri, body, state, tries, next_try_at, created_at, "
              "last_error) VALUES ('https://x.example/inbox', 'x.example', 'a', 'b', '{}', 'dead', 3, %(t)s, %(t)s, 'HTTP 410')")
    moment = now() + timedelta(hours=1)
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url[len("sqlite://"):]) as connection:
            connection.execute(insert.replace("%(t)s", "?"), (moment.isoformat(), moment.isoformat()))
    else:
        with psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection, connection.cursor() as cursor:
            cursor.execute(insert, {"t": moment})
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path)}

    def hub(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(HUB), "deliveries", *args], env=env, capture_output=True, text=True, timeout=60)

    dead = hub("--dead", "--json")
    assert dead.returncode == 0 and [d["last_error"] for d in json.loads(dead.stdout)] == ["HTTP 410"], dead.stderr
    retried = hub("--retry-dead")
    assert retried.returncode == 0 and "queued 1 dead deliveries again" in retried.stdout
    # The row is due again now: nobody sends it here, so mark it delivered and watch the bar end.
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url[len("sqlite://"):]) as connection:
            connection.execute("UPDATE deliveries SET state = 'delivered'")
    else:
        with psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection, connection.cursor() as cursor:
            cursor.execute("UPDATE deliveries SET state = 'delivered'")
    watched = hub("--watch", "--interval", "0.1")
    assert watched.returncode == 0 and watched.stderr.strip().endswith("done"), watched.stderr


async def test_hub_deliveries_retry_dead_skips_suspended_groups(db, capsys: pytest.CaptureFixture[str]) -> None:
    """``hub deliveries --retry-dead`` leaves a suspended group's dead letters dead and says how many it skipped."""
    settings = load_settings({"HUB_DOMAIN": "hub.example", "HUB_SCHEME": "https"})
    await groups.create_group("aid", "Mutual Aid")
    held = await delivery("a.example", state="dead", actor_uri="https://hub.example/groups/aid")
    await Delivery.filter(id=held.id).update(created_at=now() - timedelta(hours=1))
    await Group.filter(slug="aid").update(suspended_at=now() - timedelta(minutes=1))
    other = await delivery("a.example", state="dead", actor_uri="https://hub.example/groups/other")
    args = argparse.Namespace(retry_dead=True, host=None, dead=False, watch=False, json=False)
    assert await commands._deliveries(args, settings) == 0
    out = capsys.readouterr().out
    assert "queued 1 dead deliveries again" in out and "skipped 1 signed by suspended groups" in out
    assert [(await Delivery.get(id=d.id)).state for d in (held, other)] == ["dead", "queued"]
