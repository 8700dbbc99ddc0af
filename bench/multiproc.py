"""A measured deployment: Debian's nginx in front of N ``hub serve --no-worker`` and M ``hub worker`` on one PostgreSQL.

    python -m bench.multiproc [--smoke] [--requests 2000] [--rounds 4] [--concurrency 32] [--workers 1]
                              [--budget 30] [--postgres ADMIN_URL] [--redis URL] [--no-limits]

nginx (one worker process, plain HTTP on a free loopback port) proxies to the web processes as
deploy/nginx-causeway.conf does (round robin, kept-alive upstream connections, Host and
X-Forwarded-For passed on); every process shares one PostgreSQL database (and, with ``--redis``,
counts the inbox budgets in Redis: HUB_REDIS_URL). Three measurements:

1. inbox: signed Create(Note) POSTs accepted per second through nginx with 1 and with 2 web
   processes: two deployments side by side (the workers run with the first), warmed up, their timed
   rounds alternating (the same load as bench/inbox.py: 50 actors on 10 sink instances, keys cached after a
   warm-up). Rate limits on: each actor's default budget (300 a minute, taken from the shared
   store one token per POST) and a high budget for the one server and address all senders share
   here (leased a few hundred tokens at a time); ``--no-limits`` turns them off for the ceiling.
   Goal: 2 processes >= 1.6x one (this machine has 2 cores, shared with PostgreSQL, nginx, the
   load generator and the workers).
2. budget: 2 web processes with HUB_INBOX_RATE_PER_ACTOR=``budget``; one actor sends 3x its budget
   through nginx, which spreads the POSTs over both processes (checked in nginx's log): it gets
   exactly ``budget`` accepted, not 2x (goal ratio accepted/budget <= 1.05, a refill during the
   burst allowed).
3. block: an instance blocks a sender's domain with ``hub domain block`` (a process of its own);
   from the moment the command exits, each web process is asked directly until it refuses that
   sender, all at once: the time until both refuse (goal <= 0.1 s; without the notices a process's
   copy of the blocks, read just before by the POSTs that check the sender is still accepted, would
   be trusted for 30 s).

``--smoke`` runs a short version (tests/integration/test_multiproc.py runs the budget and block
parts with real assertions; tests/bench/test_bench_smoke.py the whole smoke mode).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import REPO_ROOT, LoadResult, Server, SinkFleet, free_port, header, load, loop_factory, ratio_line, write_key
from bench.inbox import activities, describe, prepare, signed
from bench.world import BenchDatabase
from federation.signatures import generate_rsa_keypair

DEFAULT_POSTGRES = os.environ.get("HUB_TEST_POSTGRES_URL", "") or "postgres://root@127.0.0.1:5432/test"
HIGH_LIMIT = "1000000"
"""The per-server (and per-address) limit: every sender here is on 127.0.0.1, one server and one address to
the hub, so the default 1,200 a minute would refuse the load; still counted, in the shared store."""
SENDERS_PER_INSTANCE = 5


def nginx_binary() -> str | None:
    """Debian's nginx, or None."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def nginx_config(directory: Path, port: int, upstreams: list[int]) -> str:
    """nginx.conf: one worker, plain HTTP on ``port``, the site file's proxy settings, upstream names in the log."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    return f"""{user}daemon off;
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstreams '$upstream_addr $status';
    access_log {directory / 'access.log'} upstreams;
{temp}
    upstream causeway {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 6m;
        location / {{
            proxy_pass http://causeway;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Deployment:
    """nginx, the web processes and the workers of one hub."""

    port: int
    directory: Path
    env: dict[str, str]
    web: list[Server] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """The hub's address, through nginx."""
        return f"http://127.0.0.1:{self.port}"

    def upstream_counts(self) -> Counter[str]:
        """How many requests nginx passed to each web process so far (from its access log)."""
        log = self.directory / "access.log"
        return Counter(line.split()[0] for line in log.read_text().splitlines() if line.strip()) if log.exists() else Counter()

    def stop(self) -> None:
        """Stop everything (SIGTERM, then SIGKILL after 10 s)."""
        processes = [self.nginx, *self.workers]
        for process in processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for server in self.web:
            server.stop()
        for process in processes:
            if process is not None:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


def start_deployment(database_env: dict[str, str], webs: int, workers: int, **settings: str) -> Deployment:
    """nginx in front of ``webs`` web processes, with ``workers`` workers, all on the database of ``database_env``."""
    binary = nginx_binary()
    if binary is None:
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx-light; `make nginx`)")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="causeway-multiproc-"))
    env = {**database_env, "HUB_DOMAIN": f"127.0.0.1:{port}", "HUB_TRUSTED_PROXIES": "127.0.0.1/32",
           "HUB_INBOX_RATE_PER_ACTOR": "300", "HUB_INBOX_RATE_PER_HOST": HIGH_LIMIT, **settings}
    deployment = Deployment(port, directory, env)
    try:
        for _ in range(webs):
            web_port = free_port()
            deployment.web.append(Server([sys.executable, "-m", "hub", "serve", "--no-worker", "--port", str(web_port)], web_port,
                                         env=env, ready_path="/nodeinfo/2.0"))
        for n in range(workers):
            log = open(directory / f"worker-{n}.log", "w")
            deployment.workers.append(subprocess.Popen([sys.executable, "-m", "hub", "worker"], cwd=REPO_ROOT, env={**os.environ, **env},
                                                       stdout=log, stderr=subprocess.STDOUT))
        (directory / "nginx.conf").write_text(nginx_config(directory, port, [s.port for s in deployment.web]))
        args = [binary, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(directory / "nginx.conf")]
        checked = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        deployment.nginx = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{deployment.base}/nodeinfo/2.0", timeout=2, trust_env=False)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or deployment.nginx.poll() is not None:
                    raise RuntimeError(f"nginx did not answer: {(directory / 'error.log').read_text()[-2000:]}") from None
                time.sleep(0.1)
    except BaseException:
        deployment.stop()
        raise
    return deployment


@dataclass
class World:
    """The database, the sink instances serving the senders' keys, and the senders' key pair."""

    database: BenchDatabase
    fleet: SinkFleet
    private_pem: str
    senders: list[str]

    @classmethod
    def create(cls, postgres_admin_url: str | None, instances: int = 10, *, database_url: str | None = None) -> World:
        """A migrated PostgreSQL database (made on ``postgres_admin_url``, or the given migrated one, left
        in place) with the group ``bench``, and ``instances`` sink instances."""
        private_pem, public_pem = generate_rsa_keypair()
        database = BenchDatabase(postgres_admin_url)
        if database_url is None:
            database.create()
        else:
            database.url = database_url
        fleet = SinkFleet.start(instances, key_file=write_key(public_pem), processes=1, max_seconds=1800)
        senders = [f"http://127.0.0.1:{port}/users/s{n}" for port, _ in fleet.instances for n in range(SENDERS_PER_INSTANCE)]
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(prepare(database, (private_pem, public_pem)))
        return cls(database, fleet, private_pem, senders)

    def group(self, deployment: Deployment) -> str:
        """The group's id on this deployment."""
        return f"{deployment.base}/groups/bench"

    def posts(self, deployment: Deployment, senders: list[str], count: int, tag: str) -> list[tuple[str, str, dict[str, str], bytes]]:
        """``count`` signed POSTs to the deployment's shared inbox (through nginx), round robin over ``senders``."""
        return signed(f"{deployment.base}/inbox", activities(senders, self.group(deployment), count, tag), self.private_pem)

    def close(self) -> None:
        """Stop the sinks, drop the database."""
        self.fleet.stop()
        self.database.drop()


def warm_up(world: World, deployment: Deployment, args: argparse.Namespace, runner: asyncio.Runner) -> None:
    """Each process caches the senders' keys, then opens its connections at the timed concurrency."""
    webs = len(deployment.web)
    warm = runner.run(load(world.posts(deployment, world.senders, 2 * len(world.senders) * webs, f"key{webs}"), 8))
    if set(warm.statuses) != {202}:
        raise SystemExit(f"warm-up refused: {warm.statuses}; {Path(deployment.web[0].log.name).read_text()[-2000:]}")
    # without this the first timed round of a fresh deployment ran at half speed (pools, prepared statements)
    runner.run(load(world.posts(deployment, world.senders, 300 * webs, f"warm{webs}"), args.concurrency))


def timed_round(world: World, deployment: Deployment, args: argparse.Namespace, runner: asyncio.Runner, round_: int) -> LoadResult:
    """One timed run of ``requests`` POSTs through the deployment's nginx."""
    tag = f"w{len(deployment.web)}r{round_}"
    result = runner.run(load(world.posts(deployment, world.senders, args.requests, tag), args.concurrency))
    print(f"{len(deployment.web)} web: round {round_}: " + describe("hub", result), flush=True)
    return result


def budget_check(world: World, deployment: Deployment, budget: int, runner: asyncio.Runner) -> tuple[int, Counter[str]]:
    """One actor sends 3x ``budget`` POSTs through nginx: (accepted, POSTs per web process)."""
    before = deployment.upstream_counts()
    actor = world.senders[-1]
    result = runner.run(load(world.posts(deployment, [actor], 3 * budget, "budget"), 4))
    spread = deployment.upstream_counts() - before
    print(f"budget: one actor, budget {budget}/min, {3 * budget} POSTs in {result.seconds:.2f} s through nginx "
          f"({dict(spread)}): statuses {dict(sorted(result.statuses.items()))}", flush=True)
    return result.statuses.get(202, 0), spread


def block_check(world: World, deployment: Deployment, timeout: float = 5.0) -> list[float]:
    """Block a sender's domain with ``hub domain block``; seconds from the command's exit until each web process refuses it."""
    actor = world.senders[0]
    domain = actor.split("/")[2]
    with httpx.Client(timeout=10, trust_env=False) as client:
        def post(server: Server, tag: str) -> int:
            [(_, _, headers, body)] = world.posts(deployment, [actor], 1, tag)
            return client.post(f"{server.base}/inbox", headers=headers, content=body).status_code

        for n, server in enumerate(deployment.web):  # each process's copy of the blocks is fresh and says no
            status = post(server, f"before{n}")
            if status != 202:
                raise SystemExit(f"a POST before the block got {status}")
        blocked = subprocess.run([sys.executable, "-m", "hub", "domain", "block", domain, "--reason", "benchmark"],
                                 cwd=REPO_ROOT, env={**os.environ, **deployment.env}, capture_output=True, text=True, timeout=60)
        if blocked.returncode != 0:
            raise SystemExit(f"hub domain block failed: {blocked.stderr[-2000:]}")
        exited = time.perf_counter()

        def refused_after(n: int, server: Server) -> float:
            tries = 0
            while (status := post(server, f"after{n}-{tries}")) != 403:
                tries += 1
                if time.perf_counter() - exited > timeout:
                    raise SystemExit(f"web process {n} still accepts the blocked domain after {timeout} s ({status})")
            return time.perf_counter() - exited

        with ThreadPoolExecutor(len(deployment.web)) as pool:  # every process asked at once
            waits = list(pool.map(refused_after, range(len(deployment.web)), deployment.web))
    print(f"block: {domain} blocked by `hub domain block`; refused by each web process {[f'{w * 1000:.0f} ms' for w in waits]} "
          "after the command exited (first POST to each included)", flush=True)
    return waits


def main() -> int:
    """Run the deployment benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="300 requests, one round, budget 10")
    parser.add_argument("--requests", type=int, default=2000, help="per round (more: the actors' 300/min budgets run out)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--budget", type=int, default=30)
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", metavar="URL", help="count the budgets in Redis (HUB_REDIS_URL)")
    parser.add_argument("--no-limits", action="store_true", help="inbox rate limits off while measuring the rate (no budget counted)")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.budget = 300, 1, 10
    header("multiproc: nginx in front of N web processes and M workers on one PostgreSQL", requests=args.requests,
           rounds=args.rounds, concurrency=args.concurrency, workers=args.workers, budget=args.budget,
           budgets="off" if args.no_limits else "redis" if args.redis else "postgres")
    store = {"HUB_REDIS_URL": args.redis} if args.redis else {}
    off = {"HUB_INBOX_RATE_PER_ACTOR": "0", "HUB_INBOX_RATE_PER_HOST": "0"} if args.no_limits else {}
    world = World.create(args.postgres)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            # Both deployments run side by side (the idle one costs next to nothing) and their rounds alternate,
            # so neither is measured only while the database is younger or the machine quieter.
            deployments = []
            try:
                for n, webs in enumerate((1, 2)):
                    deployments.append(start_deployment(world.database.environment(), webs, args.workers if n == 0 else 0,
                                                        **store, **off))
                    warm_up(world, deployments[-1], args, runner)
                results: dict[int, list[LoadResult]] = {1: [], 2: []}
                for round_ in range(1, args.rounds + 1):
                    for deployment in deployments if round_ % 2 else deployments[::-1]:
                        results[len(deployment.web)].append(timed_round(world, deployment, args, runner, round_))
                for deployment in deployments:
                    print(f"{len(deployment.web)} web: spread {dict(deployment.upstream_counts())}", flush=True)
                rates = {webs: statistics.median(r.rate for r in runs) for webs, runs in results.items()}
            finally:
                for deployment in deployments:
                    deployment.stop()
            deployment = start_deployment(world.database.environment(), 2, args.workers, HUB_INBOX_RATE_PER_ACTOR=str(args.budget),
                                          **store)
            try:
                accepted, spread = budget_check(world, deployment, args.budget, runner)
                waits = block_check(world, deployment)
            finally:
                deployment.stop()
    finally:
        world.close()
    print(f"median: 1 web {rates[1]:.0f}/s, 2 web {rates[2]:.0f}/s")
    ratio_line("multiproc-inbox-2-vs-1", rates[2] / rates[1], ">=1.6", two=f"{rates[2]:.0f}/s", one=f"{rates[1]:.0f}/s")
    ratio_line("multiproc-budget", accepted / args.budget, "<=1.05", accepted=str(accepted), budget=str(args.budget),
               processes=str(len([c for c in spread.values() if c])))
    ratio_line("multiproc-block", max(waits) / 0.1, "<=1.0", slowest=f"{max(waits) * 1000:.0f}ms", goal_ms="100")
    return 0 if accepted >= args.budget and len(spread) == 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
