"""Fan-out: one post to 100,000 members spread over 10,000 instances, against the raw ceiling.

    python -m bench.fanout [--smoke] [--hosts 10000] [--members 100000] [--rounds 3]
                           [--concurrency N] [--postgres ADMIN_URL] [--ports]

The database holds a group, its members (remote actors sharing one inbox per instance, so one
post makes one delivery per instance) and, each round, a new member's post recorded through the
domain service. The real worker (``build_worker(fed).run_once()``: the event handler builds the
Announce and queues the deliveries, the delivery pipeline signs and sends them) drains it.

Baseline, in the same run: the same signed POSTs — the same bodies to the same inboxes, signed
with the same key — sent by a bare aiohttp loop at concurrency 50 (the ceiling of bench.transport).
The sinks (a few processes) check every signature; each instance is a distinct loopback address
``127.1.X.Y`` (bench.sinks addresses mode; ``--ports`` puts them on ports of 127.0.0.1 instead, as
before, at most 4,000). Goals: hub time ≤ 1.2× the baseline (the median of the rounds' ratios), exactly
one POST per instance per round,
every signature valid, and the sending process's memory (RSS, sampled every 5 ms during the hub's
round) grown by at most 50 MB over what it was before the round; the baseline loop's growth is
printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from bench.common import SinkFleet, header, loop_factory, ratio_line, wait_for, write_key
from bench.transport import CONTENT_TYPE, drive
from bench.world import BenchDatabase, fill_members, make_group, publish
from federation.context import build_federation
from federation.runtime import build_worker
from federation.signatures import generate_rsa_keypair, sign_cavage
from federation.signing_threads import SigningThreads
from hub.db import connect, disconnect
from hub.heap import freeze_startup_objects
from hub.models import Delivery
from hub.settings import load_settings

BASELINE_CONCURRENCY = 50
MEMORY_GOAL_MB = 50


def rss_mb() -> float:
    """This process's resident memory now, in MB (0.0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


@contextmanager
def memory_growth(into: list[float]) -> Iterator[None]:
    """Append to ``into`` how far the RSS rose above its level at the start, sampled every 5 ms in a thread."""
    gc.collect()
    start = peak = rss_mb()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.005):
            peak = max(peak, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        stop.set()
        sampler.join()
        into.append(max(peak, rss_mb()) - start)


async def raw_round(deliveries: list[tuple[str, str]], key_id: str, pem: str) -> float:
    """Send the (inbox, body) pairs with a bare aiohttp loop; seconds taken."""
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        bodies = dict(deliveries)

        async def send(url: str) -> int:
            body = bodies[url].encode()
            headers = sign_cavage("POST", url, {"Content-Type": CONTENT_TYPE}, body, key_id, pem)
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        seconds, ok = await drive(list(bodies), send, BASELINE_CONCURRENCY)
    if ok != len(bodies):
        raise SystemExit(f"baseline: only {ok} of {len(bodies)} POSTs accepted")
    return seconds


async def bench(args: argparse.Namespace, fleet: SinkFleet, database: BenchDatabase, keys: tuple[str, str]) -> dict:
    private_pem, public_pem = keys
    ports = fleet.hosts
    await connect(database.url)
    fed = build_federation(load_settings({**os.environ, **database.environment()}))
    if args.signing_threads is not None:
        fed.signing = SigningThreads(args.signing_threads)
    try:
        group = await make_group("bench", private_pem, public_pem)
        started = time.perf_counter()
        members = await fill_members(group, ports, args.members)
        print(f"filled {args.members} members on {len(ports)} instances in {time.perf_counter() - started:.1f} s", flush=True)
        key_id = fed.urls.group_key(group.slug)
        worker = build_worker(fed, concurrency=args.concurrency)
        # As `hub worker` starts (federation.commands): what is alive now leaves the collector's full passes. Here that
        # includes the member objects this harness made above, so the baseline's rounds, in this process too, gain alike.
        freeze_startup_objects()
        profiler = cProfile.Profile() if args.profile else None
        hub_times: list[float] = []
        raw_times: list[float] = []
        hub_memory: list[float] = []
        raw_memory: list[float] = []
        received_before = 0
        for round_ in range(1, args.rounds + 1):
            # The hub: a new post, fanned out and sent by the real worker.
            await publish(group, members[round_ % len(members)], round_)
            if profiler is not None:
                profiler.enable()
            with memory_growth(hub_memory):
                started, wall, cpu = time.perf_counter(), time.time(), time.process_time()
                handled = await worker.run_once()
                hub_seconds, hub_cpu = time.perf_counter() - started, time.process_time() - cpu
            if profiler is not None:
                profiler.disable()
            rows = await Delivery.filter(state="delivered").order_by("-id").limit(len(ports))
            queued = await Delivery.filter(state="queued").count()
            if not wait_for(lambda: fleet.received() >= received_before + len(ports), timeout=10):
                raise SystemExit(f"round {round_}: the sinks got {fleet.received() - received_before} POSTs, not {len(ports)}")
            received_before += len(ports)
            hub_times.append(hub_seconds)
            # The ceiling: the same bodies to the same inboxes with bare aiohttp.
            pairs = [(row.inbox, row.body) for row in rows]
            cpu = time.process_time()
            with memory_growth(raw_memory):
                raw_seconds = await raw_round(pairs, key_id, private_pem)
            raw_cpu = time.process_time() - cpu
            if not wait_for(lambda: fleet.received() >= received_before + len(ports), timeout=10):
                raise SystemExit(f"round {round_}: baseline POSTs missing")
            received_before += len(ports)
            raw_times.append(raw_seconds)
            queued_after = min(row.created_at for row in rows).timestamp() - wall
            print(f"round {round_}: hub {hub_seconds:.2f} s, {hub_cpu:.2f} s of CPU (fan-out queued after {queued_after:.2f} s; "
                  f"{handled} rows handled, {queued} left queued), "
                  f"bare aiohttp {raw_seconds:.2f} s, {raw_cpu:.2f} s of CPU; memory grew {hub_memory[-1]:.1f} MB (hub), {raw_memory[-1]:.1f} MB (bare)",
                  flush=True)
        if profiler is not None:
            profiler.dump_stats(args.profile)
        return {"hub": hub_times, "raw": raw_times, "hub_memory": hub_memory, "raw_memory": raw_memory}
    finally:
        await fed.close()
        await disconnect()


def main() -> int:
    """Run the fan-out benchmark; exit 1 when a POST is missing, duplicated or badly signed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="100 instances, 1,000 members, one round")
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--ports", action="store_true", help="instances on ports of 127.0.0.1, not on addresses")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=None, help="worker concurrency (default: the worker's)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run on a new PostgreSQL database instead of SQLite")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the hub's rounds to FILE")
    parser.add_argument("--signing-threads", type=int, metavar="N",
                        help="threads signing the hub's deliveries (default: the hub's, one per CPU up to 4; 1 signs on the event loop)")
    args = parser.parse_args()
    if args.smoke:
        args.hosts, args.members, args.rounds = 100, 1000, 1
    if not 1 <= args.hosts <= (4000 if args.ports else 20_000) or args.members < args.hosts:
        raise SystemExit("--hosts must be 1..20,000 (1..4,000 with --ports) and --members at least --hosts")
    from federation.worker import DEFAULT_CONCURRENCY
    args.concurrency = args.concurrency or DEFAULT_CONCURRENCY
    header("fan-out: one post to every member's instance", hosts=args.hosts, members=args.members, rounds=args.rounds,
           worker_concurrency=args.concurrency, baseline_concurrency=BASELINE_CONCURRENCY,
           database="postgres" if args.postgres else "sqlite", instances="ports" if args.ports else "addresses")
    keys = generate_rsa_keypair()
    database = BenchDatabase(args.postgres)
    database.create()
    processes = 2 if args.smoke else 4
    fleet = SinkFleet.start(args.hosts, key_file=write_key(keys[1]), processes=processes, max_seconds=1800,
                            max_requests=2 * args.hosts * args.rounds, addresses=not args.ports)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            result = runner.run(bench(args, fleet, database, keys))
        stats = fleet.stats()
    finally:
        fleet.stop()
        database.drop()
    expected = 2 * args.hosts * args.rounds
    per_port = stats["per_port"]
    exact = len(per_port) == args.hosts and set(per_port.values()) == {2 * args.rounds}
    hub, raw = statistics.median(result["hub"]), statistics.median(result["raw"])
    # Each round's hub and baseline ran back to back: the median of their ratios is what a loaded machine's
    # swings from one round to the next disturb least (the ratio of the medians is printed too).
    per_round = statistics.median(h / r for h, r in zip(result["hub"], result["raw"]))
    print(f"sinks: {stats['received']} POSTs received (expected {expected}: {args.hosts} per round from the hub and "
          f"as many from the baseline), {stats['valid']} valid signatures, invalid: {stats['invalid'] or 'none'}, "
          f"every instance got exactly one per send: {'yes' if exact else 'no'}")
    print(f"median: hub {hub:.2f} s ({args.hosts / hub:.0f} deliveries/s), bare aiohttp {raw:.2f} s ({args.hosts / raw:.0f}/s)")
    print(f"ratio of the medians {hub / raw:.2f}; per round " + ", ".join(f"{h / r:.2f}" for h, r in zip(result["hub"], result["raw"])))
    ratio_line("fanout", per_round, "<=1.2", hub=f"{hub:.2f}s", baseline=f"{raw:.2f}s", instances=str(args.hosts),
               members=str(args.members))
    grown, raw_grown = max(result["hub_memory"]), max(result["raw_memory"])
    ratio_line("fanout-memory", grown / MEMORY_GOAL_MB, "<=1", hub=f"{grown:.1f}MB", limit=f"{MEMORY_GOAL_MB}MB",
               baseline=f"{raw_grown:.1f}MB")
    return 0 if exact and stats["valid"] == stats["received"] == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
