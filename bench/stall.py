"""Event-loop stall under hostile content: the longest the loop is held, and page latency with and without the attack.

    python -m bench.stall [--smoke] [--pages 300] [--rounds 20]

One process, one event loop, as ``hub serve`` runs the app and its worker: the real app
(web.app.create_app over a fresh SQLite database, requests through httpx's ASGI transport, so any
stall of the loop shows in the pages' latency) serves a public group's page afresh (``?r=N``) while
an attacker task pushes hostile content through the code the inbox and the worker run for it:

* a 300 KB post of nested list tags (parse_body of the inbox body, the campaign reply check's text,
  the post's sanitising: federation.objects.clean_object),
* an actor document whose display name is 100 KB of nested markup (federation.remote.store_actor,
  which runs when a key is fetched, before any signature is verified),
* 100 KB of flat but tag-heavy markup (acceptable to the pre-scan, so nh3 parses it in a thread).

A ticker task sleeps 2 ms at a time and records how late it wakes: the longest lateness is the
stall. Goals: stall at most 50 ms (ratio = stall / 50 ms ≤ 1); page p50 under attack at most twice
the p50 without it, measured in the same run (before the attack starts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx

from bench.common import header, percentile, ratio_line
from bench.world import BenchDatabase, make_group
from federation.campaign_objects import text_lines_off_loop
from federation.inbox import parse_body
from federation.objects import clean_object
from federation.remote import store_actor
from federation.signatures import generate_rsa_keypair
from hub.settings import load_settings
from web.app import create_app

STALL_GOAL_MS = 50.0
TICK = 0.002


def hostile_documents(levels: int) -> list[tuple[str, dict]]:
    """The hostile bodies: (kind, document)."""
    nested = "<ul><li>" * levels + "deep" + "</li></ul>" * levels
    flat = "<p><b>x</b><i>y</i></p>" * 4000
    post = {"id": "https://evil.example/users/e/statuses/1", "type": "Note", "attributedTo": "https://evil.example/users/e",
            "content": nested, "name": nested[:50_000], "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    actor = {"id": "https://evil.example/users/e", "type": "Person", "inbox": "https://evil.example/users/e/inbox",
             "preferredUsername": "e", "name": nested[:100_000]}
    return [("nested-post", post), ("display-name", actor), ("flat-tags", {**post, "content": flat})]


class Ticker:
    """Records how late a task that sleeps ``TICK`` seconds wakes up (the loop's stalls)."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def run(self) -> None:
        """Tick until cancelled."""
        while True:
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - started - TICK)


async def attack(documents: list[tuple[str, dict]], rounds: int, done: asyncio.Event) -> int:
    """Push every hostile document through the inbox and worker code ``rounds`` times; how many were handled."""
    handled = 0
    try:
        for _ in range(rounds):
            for kind, document in documents:
                body = json.dumps({"id": "https://evil.example/a/1", "type": "Create", "actor": "https://evil.example/users/e",
                                   "object": document}).encode()
                parse_body(body)
                if kind == "display-name":
                    await store_actor(document)
                else:
                    await text_lines_off_loop(document["content"])
                    await clean_object(document)
                handled += 1
                await asyncio.sleep(0)
    finally:
        done.set()
    return handled


async def pages(client: httpx.AsyncClient, count: int, start: int) -> list[float]:
    """Latencies (s) of ``count`` fresh renderings of the group page."""
    out = []
    for n in range(count):
        began = time.perf_counter()
        response = await client.get(f"/groups/bench?r={start + n}")
        response.raise_for_status()
        out.append(time.perf_counter() - began)
    return out


async def run(args: argparse.Namespace) -> bool:
    """Set up the hub, measure without and with the attack, print the ratios; whether both goals are met."""
    database = BenchDatabase()
    database.create()
    settings = load_settings({**database.environment(), "HUB_SCHEME": "http"})
    app = create_app(settings, http_transport=httpx.MockTransport(lambda request: httpx.Response(404)))
    try:
        async with app.router.lifespan_context(app):
            await make_group("bench", *generate_rsa_keypair())
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{settings.domain}") as client:
                await pages(client, 5, 0)  # warm up templates and queries
                ticker = Ticker()
                tick = asyncio.create_task(ticker.run())
                quiet = await pages(client, args.pages, 10)
                quiet_stall, ticker.worst = ticker.worst, 0.0
                done = asyncio.Event()
                attacker = asyncio.create_task(attack(hostile_documents(args.levels), args.rounds, done))
                loud: list[float] = []
                while not done.is_set():
                    loud += await pages(client, 10, 100_000 + len(loud))
                handled = await attacker
                tick.cancel()
    finally:
        database.drop()
    stall_ms = ticker.worst * 1000
    base, under = percentile(quiet, 50), percentile(loud, 50)
    print(f"hostile documents handled: {handled}; pages: {len(quiet)} quiet, {len(loud)} under attack", flush=True)
    print(f"max loop stall: {quiet_stall * 1000:.1f} ms quiet, {stall_ms:.1f} ms under attack", flush=True)
    print(f"page p50: {base * 1000:.1f} ms quiet, {under * 1000:.1f} ms under attack; "
          f"p99 {percentile(quiet, 99) * 1000:.1f} / {percentile(loud, 99) * 1000:.1f} ms", flush=True)
    met = ratio_line("stall-max", stall_ms / STALL_GOAL_MS, "<=1.0", stall_ms=f"{stall_ms:.1f}", goal_ms=f"{STALL_GOAL_MS:.0f}")
    met &= ratio_line("stall-page-p50", under / base if base else 0.0, "<=2.0",
                      quiet_ms=f"{base * 1000:.1f}", attack_ms=f"{under * 1000:.1f}")
    return met


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run; exit 0 (figures are reported, not enforced), 2 on bad arguments."""
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a short run that checks the benchmark works")
    parser.add_argument("--pages", type=int, default=300, help="page requests measured without the attack")
    parser.add_argument("--rounds", type=int, default=20, help="times each hostile document is sent")
    parser.add_argument("--levels", type=int, default=20_000, help="nesting depth of the hostile markup")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pages, args.rounds = 30, 2
    if min(args.pages, args.rounds, args.levels) < 1:
        parser.error("--pages, --rounds and --levels must be positive")
    header("Event-loop stall under hostile content", pages=args.pages, rounds=args.rounds, levels=args.levels)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
