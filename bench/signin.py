"""Password guessing: a visitor's page latency while wrong passwords are tried in parallel, against the same page alone.

    python -m bench.signin [--smoke] [--rounds 2] [--parallel 8] [--pages 30]

The hub (``hub serve --no-worker``, one uvicorn process, SQLite) has one administrator. Each round
first times ``--pages`` requests of ``/about`` one after another (the baseline), then sends
``--parallel`` wrong password sign-ins at once (each a GET of /login and a POST of the form, every one
with its own user name, so the per-name backoff does not refuse them before they are hashed) and
times ``/about`` requests one after another until they have all been answered. Argon2 costs tens
of milliseconds of CPU per try and 64 MiB: on the event loop (before issue 21) every visitor waited
for every hash in turn (41 ms became 2.2 s); in a worker thread the page only shares the CPU.
Goal: the median page latency during the guessing at most 10× the median alone (the two cores are
shared with the hashing); the longest page wait is printed too. Rounds × parallel stays within the
per-address cap (hub.services.login_attempts.ADDRESS_LIMIT).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from bench.common import Server, free_port, header, loop_factory, ratio_line
from hub.services.login_attempts import ADDRESS_LIMIT

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench administrator password"


async def page_latency(client: httpx.AsyncClient) -> float:
    """Seconds for one GET /about (which must answer 200)."""
    started = time.perf_counter()
    response = await client.get("/about")
    if response.status_code != 200:
        raise SystemExit(f"/about answered {response.status_code}")
    return time.perf_counter() - started


async def wrong_sign_in(base: str, username: str) -> int:
    """One browser's wrong password for ``username``: the sign-in page, then the form; the form's status."""
    async with httpx.AsyncClient(base_url=base, timeout=120, trust_env=False) as browser:
        token = CSRF_RE.search((await browser.get("/login")).text).group(1)
        form = {"csrf_token": token, "username": username, "password": "not the password"}
        return (await browser.post("/login/password", data=form)).status_code


async def round_trip(base: str, round_: int, parallel: int, pages: int) -> tuple[list[float], list[float], list[int]]:
    """(latencies alone, latencies during the guessing, the guesses' statuses) of one round."""
    async with httpx.AsyncClient(base_url=base, timeout=120, trust_env=False) as visitor:
        alone = [await page_latency(visitor) for _ in range(pages)]
        guesses = asyncio.gather(*(wrong_sign_in(base, f"guess-{round_}-{n}") for n in range(parallel)))
        during = []
        while not guesses.done():
            during.append(await page_latency(visitor))
        return alone, during, await guesses


def main() -> int:
    """Run the sign-in benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.pages = 1, 10
    if args.rounds * args.parallel > ADDRESS_LIMIT:
        parser.error(f"--rounds × --parallel must stay within the per-address cap ({ADDRESS_LIMIT})")
    header("signin: page latency during parallel wrong passwords", rounds=args.rounds, parallel=args.parallel,
           pages=args.pages, database="sqlite")
    directory = tempfile.mkdtemp(prefix="causeway-bench-signin-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=directory, HUB_DOMAIN=f"127.0.0.1:{port}", HUB_LOG_LEVEL="warning")
    for command, stdin in ((["migrate"], None), (["admin", "create", "admin", "--password-stdin"], PASSWORD + "\n")):
        subprocess.run([sys.executable, "-m", "hub", *command], env=env, input=stdin, text=True, check=True, capture_output=True)
    hub = Server([sys.executable, "-m", "hub", "serve", "--no-worker", "--port", str(port)], port, env=env, ready_path="/about")
    alone: list[float] = []
    during: list[float] = []
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            for round_ in range(1, args.rounds + 1):
                round_alone, round_during, statuses = runner.run(round_trip(hub.base, round_, args.parallel, args.pages))
                if statuses != [401] * args.parallel:
                    raise SystemExit(f"the wrong passwords were answered {statuses}, not 401 each")
                print(f"round {round_}: /about alone p50 {statistics.median(round_alone) * 1000:.1f} ms; during "
                      f"{args.parallel} wrong passwords p50 {statistics.median(round_during) * 1000:.1f} ms, "
                      f"max {max(round_during) * 1000:.0f} ms ({len(round_during)} pages)", flush=True)
                alone += round_alone
                during += round_during
    finally:
        hub.stop()
    ratio_line("signin-page-during-guessing", statistics.median(during) / statistics.median(alone), "<=10",
               alone=f"{statistics.median(alone) * 1000:.1f}ms", during=f"{statistics.median(during) * 1000:.1f}ms",
               max_during=f"{max(during) * 1000:.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
