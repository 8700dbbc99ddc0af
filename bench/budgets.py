"""Shared rate budgets: checks per second with the buckets in PostgreSQL and in Redis, against memory.

    python -m bench.budgets [--smoke] [--checks 20000] [--concurrency 32] [--postgres ADMIN_URL] [--redis URL]

One process makes ``checks`` inbox-limiter checks (a signer's and its server's token, as the inbox
takes after each verified POST: 500 actors on 50 servers, limits high enough that none is refused,
one token of each asked of the store every time: no leases)
with ``concurrency`` at once, through :class:`federation.ratelimit.InboxLimiter` with its buckets
in this process's memory (the baseline, what SQLite deployments use), in PostgreSQL (table
``rate_buckets``, tortoise's pool, federation.shared_limits.PostgresBudgets) and in Redis (one Lua
script per check, RedisBudgets). Goal line: Redis's rate over PostgreSQL's (>= 1 means Redis is the
faster store and worth HUB_REDIS_URL where a Redis runs); the figures go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench.common import header, loop_factory, percentile, ratio_line
from bench.world import BenchDatabase
from federation.ratelimit import InboxLimiter
from federation.shared_limits import PostgresBudgets, RedisBudgets
from hub.db import connect, disconnect

DEFAULT_POSTGRES = os.environ.get("HUB_TEST_POSTGRES_URL", "") or "postgres://root@127.0.0.1:5432/test"
ACTORS, SERVERS = 500, 50


async def run(limiter: InboxLimiter, checks: int, concurrency: int) -> tuple[float, float, int]:
    """(checks/s, p99 ms, refused) for ``checks`` checks with ``concurrency`` at once.

    With a store, each check asks it for one token of each bucket (what every POST costs when the budgets
    are small enough to be taken one token at a time, as the default per-actor one), leases aside.
    """
    store = limiter.store

    async def take(actor: str, server: str) -> bool:
        if store is None:
            return limiter.check(actor, server) is not None
        return await store.take([(f"actor:{actor}", limiter.actors.limit, 1), (f"server:{server}", limiter.hosts.limit, 1)],
                                limiter.window) > 0

    numbers = iter(range(checks))
    latencies: list[float] = []
    refused = 0

    async def client() -> None:
        nonlocal refused
        for n in numbers:
            started = time.perf_counter()
            if await take(f"https://s{n % SERVERS}.example/users/a{n % ACTORS}", f"s{n % SERVERS}.example"):
                refused += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return checks / (time.perf_counter() - started), percentile(latencies, 99) * 1000, refused


async def measure(args: argparse.Namespace, database_url: str) -> dict[str, tuple[float, float, int]]:
    figures = {}
    await connect(database_url)
    try:
        for name in ("memory", "postgres", "redis", "memory"):
            limiter = InboxLimiter(1_000_000, 1_000_000)
            if name == "postgres":
                limiter.store = PostgresBudgets()
            elif name == "redis":
                limiter.store = RedisBudgets(args.redis)
            await run(limiter, min(1000, args.checks), args.concurrency)  # warm-up: connections, first rows
            rate, p99, refused = await run(limiter, args.checks, args.concurrency)
            if limiter.store is not None:
                await limiter.store.close()
            print(f"{name:8}: {rate:8.0f} checks/s  p99 {p99:6.2f} ms  refused {refused}", flush=True)
            figures[name] = max(figures.get(name, (0, 0, 0)), (rate, p99, refused))
    finally:
        await disconnect()
    return figures


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2,000 checks")
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", metavar="URL", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if args.smoke:
        args.checks = 2000
    header("budgets: shared rate-limit checks per second", checks=args.checks, concurrency=args.concurrency)
    database = BenchDatabase(args.postgres)
    try:
        url = database.create()
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            figures = runner.run(measure(args, url))
    finally:
        database.drop()
    memory, postgres, redis = figures["memory"], figures["postgres"], figures["redis"]
    print(f"PostgreSQL costs {1000 / postgres[0] - 1000 / memory[0]:.3f} ms of wall time per check at this concurrency, "
          f"Redis {1000 / redis[0] - 1000 / memory[0]:.3f} ms")
    ratio_line("budgets-redis-vs-postgres", redis[0] / postgres[0], ">=1.0",
               redis=f"{redis[0]:.0f}/s", postgres=f"{postgres[0]:.0f}/s", memory=f"{memory[0]:.0f}/s")
    return 0 if not (postgres[2] or redis[2]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
