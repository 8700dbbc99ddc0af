"""Inbox: signed activities accepted per second by ``hub serve``, against a bare endpoint that only verifies.

    python -m bench.inbox [--smoke] [--requests 3000] [--rounds 3] [--concurrency 32] [--postgres ADMIN_URL]

The hub (``hub serve --no-worker``, one uvicorn process, SQLite by default) receives Create(Note)
activities addressed to a group from 50 remote actors served by sink instances; it verifies each
signature (keys fetched once, then cached in the database), checks origins and blocks, stores the
activity and answers 202 — processing is the worker's, not measured here. The baseline is a bare
Starlette app under the same uvicorn that only verifies the signature with a key it holds in
memory (bench.bare). Requests are signed before each timed run, so the load generator's CPU does not
sign during it. Goals: hub rate ≥ 0.7× the baseline's (issue 20.5; 0.6× before), hub p99 latency ≤ 2× the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys

from bench.common import LoadResult, Server, SinkFleet, free_port, header, load, loop_factory, ratio_line, write_key
from bench.world import BenchDatabase, make_group
from federation.signatures import generate_rsa_keypair, sign_cavage
from hub.db import connect, disconnect

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTENT_TYPE = "application/activity+json"
SENDERS_PER_INSTANCE = 5


def activities(senders: list[str], group: str, count: int, tag: str) -> list[dict]:
    """``count`` Create(Note) activities to ``group``, round-robin over the senders, ids unique per ``tag``."""
    out = []
    for n in range(count):
        actor = senders[n % len(senders)]
        note = {"id": f"{actor}/notes/{tag}-{n}", "type": "Note", "attributedTo": actor, "to": [PUBLIC, group],
                "content": f"<p>Benchmark note {n}: " + "we organise together. " * 20 + "</p>", "published": "2026-01-01T00:00:00Z"}
        out.append({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/create/{tag}-{n}",
                    "type": "Create", "actor": actor, "to": [PUBLIC, group], "object": note})
    return out


def signed(url: str, items: list[dict], private_pem: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    """Each activity as a POST to ``url`` signed (draft-cavage) by its actor's key."""
    requests = []
    for activity in items:
        body = json.dumps(activity).encode()
        headers = sign_cavage("POST", url, {"Content-Type": CONTENT_TYPE}, body, f"{activity['actor']}#main-key", private_pem)
        requests.append(("POST", url, headers, body))
    return requests


def describe(name: str, result: LoadResult) -> str:
    """One line of figures."""
    return (f"{name}: {result.rate:7.0f} accepted/s  p50 {result.p(50):6.1f} ms  p99 {result.p(99):6.1f} ms  "
            f"statuses {dict(sorted(result.statuses.items()))}")


async def prepare(database: BenchDatabase, keys: tuple[str, str]) -> None:
    await connect(database.url)
    try:
        await make_group("bench", *generate_rsa_keypair())
    finally:
        await disconnect()


def main() -> int:
    """Run the inbox benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="300 requests, one round")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", metavar="ADMIN_URL")
    parser.add_argument("--profile", nargs=2, metavar=("SCRIPT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds = 300, 1
    header("inbox: signed POSTs accepted per second", requests=args.requests, rounds=args.rounds,
           concurrency=args.concurrency, database="postgres" if args.postgres else "sqlite")
    private_pem, public_pem = generate_rsa_keypair()
    key_file = write_key(public_pem)
    database = BenchDatabase(args.postgres)
    database.create()
    fleet = SinkFleet.start(10, key_file=key_file, processes=1, max_seconds=900)
    servers: list[Server] = []
    try:
        senders = [f"http://127.0.0.1:{port}/users/s{n}" for port, _ in fleet.instances for n in range(SENDERS_PER_INSTANCE)]
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(prepare(database, (private_pem, public_pem)))
            hub_port, bare_port = free_port(), free_port()
            env = {**database.environment(), "HUB_DOMAIN": f"127.0.0.1:{hub_port}"}
            command = ["-m", "hub", "serve", "--no-worker", "--port", str(hub_port)]
            if args.profile:
                command = [args.profile[0], str(hub_port), args.profile[1]]
            hub = Server([sys.executable, *command], hub_port, env=env,
                         ready_path="/nodeinfo/2.0")
            servers.append(hub)
            bare = Server([sys.executable, "-m", "bench.bare", "--port", str(bare_port), "inbox", "--key-file", key_file],
                          bare_port, ready_path="/inbox")
            servers.append(bare)
            group = f"http://127.0.0.1:{hub_port}/groups/bench"
            # Warm-up, not timed: the hub fetches and caches each sender's key; both servers warm up.
            warm = runner.run(load(signed(f"{hub.base}/inbox", activities(senders, group, len(senders), "warm"), private_pem), 8))
            runner.run(load(signed(f"{bare.base}/inbox", activities(senders, group, len(senders), "warm"), private_pem), 8))
            if warm.statuses != {202: len(senders)}:
                raise SystemExit(f"warm-up refused: {warm.statuses}; hub log: {open(hub.log.name).read()[-2000:]}")
            hub_results, bare_results = [], []
            for round_ in range(1, args.rounds + 1):
                items = activities(senders, group, args.requests, f"r{round_}")
                bare_result = runner.run(load(signed(f"{bare.base}/inbox", items, private_pem), args.concurrency))
                hub_result = runner.run(load(signed(f"{hub.base}/inbox", items, private_pem), args.concurrency))
                print(f"round {round_}: " + describe("bare", bare_result), flush=True)
                print(f"round {round_}: " + describe("hub ", hub_result), flush=True)
                bare_results.append(bare_result)
                hub_results.append(hub_result)
    finally:
        for server in servers:
            server.stop()
        fleet.stop()
        database.drop()
    accepted = all(r.statuses == {202: args.requests} for r in hub_results + bare_results)
    hub_rate = statistics.median(r.rate for r in hub_results)
    bare_rate = statistics.median(r.rate for r in bare_results)
    hub_p99 = statistics.median(r.p(99) for r in hub_results)
    bare_p99 = statistics.median(r.p(99) for r in bare_results)
    print(f"median: hub {hub_rate:.0f}/s p99 {hub_p99:.1f} ms; bare verify-only endpoint {bare_rate:.0f}/s p99 {bare_p99:.1f} ms")
    ratio_line("inbox-rate", hub_rate / bare_rate, ">=0.7", hub=f"{hub_rate:.0f}/s", baseline=f"{bare_rate:.0f}/s")
    ratio_line("inbox-p99", hub_p99 / bare_p99, "<=2", hub=f"{hub_p99:.1f}ms", baseline=f"{bare_p99:.1f}ms")
    return 0 if accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
