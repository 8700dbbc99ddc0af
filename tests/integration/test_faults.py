"""Fault tests with real processes: a worker killed mid-fan-out, two workers on PostgreSQL, PostgreSQL restarted.

Each test runs ``hub serve --no-worker`` and separate ``hub worker`` processes over one database,
with a post fanned out to 200 members on 20 slow sink instances (tests.peers.sink records every
POST with its Digest and answers after 0.3 s, so the fan-out takes a few seconds and can be
interrupted). What is checked is what a member's server sees: every delivery arrives, and a
repeat is only ever the at-least-once repeat of a send whose acknowledgement the hub had not
recorded when it was interrupted.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import psycopg2
import pytest

from tests.integration.hubs import REPO_ROOT, Hub
from tests.peers.sink import SinkHandle, launch
from tests.support.processes import ServerProcess, wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

INSTANCES = 20
PER_INSTANCE = 10
MEMBERS = INSTANCES * PER_INSTANCE
DELAY = 0.3


def query(database_url: str, sql: str) -> list[tuple]:
    """Rows of one SQL statement on the hub's database (SQLite file or PostgreSQL)."""
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url[len("sqlite://"):], timeout=10) as connection:
            return connection.execute(sql).fetchall()
    with psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1), connect_timeout=5) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []


def delivered(database_url: str) -> set[str]:
    """Inboxes whose delivery the hub has recorded as delivered."""
    return {row[0] for row in query(database_url, "SELECT inbox FROM deliveries WHERE state = 'delivered'")}


def seed(hub: Hub, *args: str) -> str:
    """Run tests.integration.seed with the hub's settings; its output."""
    result = subprocess.run([sys.executable, "-m", "tests.integration.seed", *args], cwd=REPO_ROOT,
                            env={**os.environ, **hub.env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def worker(hub: Hub, name: str, *extra: str) -> ServerProcess:
    """Start ``hub worker`` with the hub's settings and wait for its first line."""
    process = ServerProcess([sys.executable, "-m", "hub", "worker", "--concurrency", "16", *extra], cwd=REPO_ROOT,
                            env=hub.env, log_dir=str(hub.data_dir), name=name)
    wait_until_sync(lambda: "running" in process.log_text() or not process.alive(), timeout=20, message=f"{name} started")
    assert process.alive(), process.log_text()
    return process


def inbox_of(record: dict) -> str:
    """The inbox URL a sink record was POSTed to."""
    return f"http://127.0.0.1:{record['port']}{record['path']}"


@pytest.fixture
def sink() -> Iterator[SinkHandle]:
    """20 slow instances (0.3 s per answer)."""
    handle = launch(INSTANCES, delay=DELAY, max_seconds=240)
    yield handle
    handle.stop()


@pytest.fixture
def fan_out(hub_factory: Callable[..., Hub], sink: SinkHandle) -> Iterator[Hub]:
    """A served hub (no in-process worker) whose group ``climate`` has 200 members on the sink's instances."""
    hub = hub_factory("faults", HUB_LOG_LEVEL="info")
    assert seed(hub, "members", "climate", "--ports", ",".join(map(str, sink.ports)), "--per-port", str(PER_INSTANCE)) == str(MEMBERS)
    hub.start("--no-worker")
    yield hub


def expected_inboxes(sink: SinkHandle) -> set[str]:
    """Every member's personal inbox."""
    return {f"http://127.0.0.1:{port}/users/m{n}/inbox" for port in sink.ports for n in range(PER_INSTANCE)}


def assert_each_arrived(sink: SinkHandle, *, unrecorded: set[str] | None = None, before: float | None = None) -> Counter:
    """Every inbox got the Announce, correctly digested and signed; repeats only of ``unrecorded`` sends."""
    records = sink.received()
    counts = Counter(inbox_of(r) for r in records)
    assert set(counts) == expected_inboxes(sink), sorted(expected_inboxes(sink) - set(counts))[:5]
    assert all(r["digest_ok"] and r["signed"] for r in records)
    repeats = {inbox for inbox, n in counts.items() if n > 1}
    if unrecorded is None:
        assert not repeats, f"sent twice: {sorted(repeats)[:5]}"
    else:
        assert repeats <= unrecorded, f"repeated although recorded as delivered: {sorted(repeats - unrecorded)[:5]}"
        first = {}
        for record in sorted(records, key=lambda r: r["at"]):
            first.setdefault(inbox_of(record), record["at"])
        assert all(first[inbox] <= before for inbox in repeats), "a repeat whose first send came after the interruption"
    return counts


def test_worker_killed_mid_fan_out_loses_nothing(fan_out: Hub, sink: SinkHandle) -> None:
    """kill -9 of the worker in the middle of a fan-out, then a restart: every member's server gets the post once,
    except sends in flight at the kill (not yet recorded), which may arrive twice; --watch follows the drain."""
    hub = fan_out
    # Given a post fanned out by a worker,
    seed(hub, "post", "climate")
    first = worker(hub, "worker-1")
    wait_until_sync(lambda: len(sink.received()) >= MEMBERS // 3, timeout=30, message="a third of the fan-out sent")
    # when the worker is killed mid-fan-out,
    first.kill9()
    killed_at = time.time()
    recorded = delivered(hub.env["HUB_DATABASE_URL"])
    sent_before_kill = {inbox_of(r) for r in sink.received()}
    assert MEMBERS // 3 <= len(sent_before_kill) < MEMBERS, "the kill came mid-fan-out"
    # and a new worker starts (while an operator watches the queue drain),
    second = worker(hub, "worker-2")
    watch = subprocess.Popen([sys.executable, "-m", "hub", "deliveries", "--watch", "--interval", "0.2"], cwd=REPO_ROOT,
                             env={**os.environ, **hub.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_sync(lambda: len(delivered(hub.env["HUB_DATABASE_URL"])) == MEMBERS, timeout=60,
                        message="every delivery recorded after the restart")
        _, progress = watch.communicate(timeout=30)
    finally:
        if watch.poll() is None:
            watch.kill()
        second.stop()
    # then every member's server has the post, and only unrecorded sends were repeated.
    counts = assert_each_arrived(sink, unrecorded=sent_before_kill - recorded, before=killed_at)
    assert sum(counts.values()) - MEMBERS <= 16 * 4, "repeats are bounded by the sends in flight"
    assert watch.returncode == 0 and progress.strip().splitlines()[-1].startswith("[") and "done" in progress
    assert query(hub.env["HUB_DATABASE_URL"], "SELECT count(*) FROM deliveries WHERE state <> 'delivered'") == [(0,)]


def test_two_workers_on_postgresql_send_nothing_twice(fan_out: Hub, sink: SinkHandle, database_backend: str) -> None:
    """Two workers drain one fan-out together: each member's server gets the post exactly once."""
    if database_backend != "postgres":
        pytest.skip("several workers need PostgreSQL (row locks with SKIP LOCKED); SQLite runs one worker process")
    hub = fan_out
    seed(hub, "post", "climate")
    workers = [worker(hub, "worker-a"), worker(hub, "worker-b")]
    try:
        wait_until_sync(lambda: len(delivered(hub.env["HUB_DATABASE_URL"])) == MEMBERS, timeout=60,
                        message="every delivery recorded")
    finally:
        for process in workers:
            process.stop()
    assert_each_arrived(sink)
    owners = Counter(row[0].split(":")[1] for row in query(hub.env["HUB_DATABASE_URL"],
                                                            "SELECT lease_owner FROM deliveries WHERE state = 'delivered'"))
    assert len(owners) == 2, f"both workers sent: {owners}"


def restart_postgresql(database_url: str) -> None:
    """Restart the local PostgreSQL cluster serving ``database_url`` (found by its port in pg_lsclusters)."""
    port = urlsplit(database_url).port or 5432
    clusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    for line in clusters.splitlines():
        version, name, cluster_port = line.split()[:3]
        if int(cluster_port) == port:
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"], check=True,
                           timeout=60, capture_output=True)
            return
    pytest.fail(f"no local PostgreSQL cluster listens on port {port}")


@pytest.mark.alone
def test_postgresql_restart_under_load(fan_out: Hub, sink: SinkHandle, database_backend: str) -> None:
    """PostgreSQL restarts in the middle of a fan-out: the worker and the web server reconnect and carry on."""
    if database_backend != "postgres":
        pytest.skip("restarts the PostgreSQL server: only in the PostgreSQL run")
    if os.environ.get("HUB_TEST_ALLOW_PG_RESTART") != "1" or shutil.which("pg_ctlcluster") is None:
        pytest.skip("set HUB_TEST_ALLOW_PG_RESTART=1 (as make test-postgres does) to let this test restart PostgreSQL")
    hub = fan_out
    seed(hub, "post", "climate")
    process = worker(hub, "worker-pg")
    try:
        wait_until_sync(lambda: len(sink.received()) >= MEMBERS // 4, timeout=30, message="a quarter sent")
        # When PostgreSQL restarts mid-fan-out,
        restart_postgresql(hub.env["HUB_DATABASE_URL"])
        restarted_at = time.time()
        # the worker carries on to the end,
        wait_until_sync(lambda: len(delivered(hub.env["HUB_DATABASE_URL"])) == MEMBERS, timeout=60,
                        message="every delivery recorded after the restart")
        assert process.alive(), process.log_text()[-3000:]
        # and the web server answers from the database again.
        response = wait_until_sync(lambda: (r := httpx.get(f"{hub.base}/metrics", timeout=5)).status_code == 200 and r,
                                   timeout=30, message="/metrics answers after the restart")
        assert "causeway_delivery_queue_depth 0" in response.text
    finally:
        process.stop()
    assert_each_arrived(sink, unrecorded=expected_inboxes(sink), before=restarted_at)
