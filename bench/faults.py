"""Faults: a fan-out where 10% of the instances are slow, 5% refuse connections and 5% answer 5xx.

    python -m bench.faults [--smoke] [--hosts 1000] [--slow-seconds 3] [--rounds 3] [--postgres ADMIN_URL]

Each round runs the same fan-out twice with the real worker loop (``Worker.run``, as ``hub worker``
does): once to instances that are all healthy, once to instances of which one in ten answers only
after ``--slow-seconds``, one in twenty refuses connections and one in twenty answers 503 (spread
evenly). The time measured is from the start of the worker to the moment the last healthy instance
received its POST (the sinks stamp each one). Goal: in the faulty run the healthy instances are all
served within 1.2× of the time the all-healthy run took.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from bench.common import SinkFleet, header, loop_factory, ratio_line, write_key
from bench.world import BenchDatabase, fill_members, make_group, publish
from federation.context import build_federation
from federation.runtime import build_worker
from federation.signatures import generate_rsa_keypair
from hub.db import connect, disconnect
from hub.settings import load_settings

HEALTHY = ("ok",)
FAULTY = ("ok", "ok", "ok", "slow", "ok", "ok", "ok", "refuse", "ok", "ok",
          "ok", "ok", "ok", "slow", "ok", "ok", "ok", "5xx", "ok", "ok")
"""Twenty instances in a row: two slow (10%), one refusing (5%), one answering 503 (5%)."""


async def fan_out(args: argparse.Namespace, fleet: SinkFleet, keys: tuple[str, str]) -> float:
    """Seconds from the worker's start until every healthy instance received the post."""
    database = BenchDatabase(args.postgres)
    database.create()
    await connect(database.url)
    fed = build_federation(load_settings({**os.environ, **database.environment()}))
    try:
        instances = fleet.instances
        ports = [port for port, _ in instances]
        healthy = {port for port, behaviour in instances if behaviour == "ok"}
        group = await make_group("bench", *keys)
        members = await fill_members(group, ports, 2 * len(ports))
        await publish(group, members[0], 1)
        worker = build_worker(fed)
        stop = asyncio.Event()
        started = time.time()
        task = asyncio.create_task(worker.run(stop))
        deadline = time.monotonic() + args.timeout
        while True:
            # The sinks stamp each arrival themselves: polling them (in a thread, so the worker's loop is
            # not blocked) only decides when to stop, not what is measured.
            firsts = (await asyncio.to_thread(fleet.stats))["first_per_port"]
            if healthy <= set(firsts):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(healthy & set(firsts))} of {len(healthy)} healthy instances served in time")
            await asyncio.sleep(0.25)
        stop.set()
        await task
        return max(firsts[port] for port in healthy) - started
    finally:
        await fed.close()
        await disconnect()
        database.drop()


def run(args: argparse.Namespace, behaviours: tuple[str, ...], keys: tuple[str, str], key_file: str) -> float:
    """One fan-out to a new fleet with these behaviours; the healthy instances' finish time."""
    spec = tuple(f"slow:{args.slow_seconds}" if b == "slow" else b for b in behaviours)
    fleet = SinkFleet.start(args.hosts, key_file=key_file, behaviours=spec, processes=2 if args.smoke else 4,
                            max_seconds=args.timeout + 60)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            return runner.run(fan_out(args, fleet, keys))
    finally:
        stats = fleet.stats()
        fleet.stop()
        if stats["invalid"]:
            raise SystemExit(f"badly signed POSTs: {stats['invalid']}")


def main() -> int:
    """Run the faults benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="60 instances, one round")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--slow-seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--postgres", metavar="ADMIN_URL")
    args = parser.parse_args()
    if args.smoke:
        args.hosts, args.rounds = 60, 1
    if not 20 <= args.hosts <= 4000:
        raise SystemExit("--hosts must be 20..4000")
    header("faults: healthy instances' finish time with 10% slow, 5% refusing, 5% 5xx", hosts=args.hosts,
           slow_seconds=args.slow_seconds, rounds=args.rounds, database="postgres" if args.postgres else "sqlite")
    keys = generate_rsa_keypair()
    key_file = write_key(keys[1])
    healthy_times, faulty_times = [], []
    for round_ in range(1, args.rounds + 1):
        healthy_times.append(run(args, HEALTHY, keys, key_file))
        faulty_times.append(run(args, FAULTY, keys, key_file))
        print(f"round {round_}: all healthy {healthy_times[-1]:.2f} s; healthy ones among faulty {faulty_times[-1]:.2f} s",
              flush=True)
    healthy, faulty = statistics.median(healthy_times), statistics.median(faulty_times)
    print(f"median: all healthy {healthy:.2f} s ({args.hosts / healthy:.0f} instances/s); "
          f"healthy instances among faulty ones {faulty:.2f} s")
    ratio_line("faults", faulty / healthy, "<=1.2", faulty=f"{faulty:.2f}s", healthy=f"{healthy:.2f}s",
               instances=str(args.hosts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
