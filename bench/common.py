"""What every benchmark shares: the event loop, the machine's description, the ratio line, sink fleets.

A benchmark prints its figures as it goes and ends with one line per goal::

    RATIO name=fanout ratio=1.31 goal=<=1.5 met=yes hub=1.62s baseline=1.24s

``tests/bench/test_bench_smoke.py`` only checks that the smoke mode exits 0 and prints such lines;
the figures themselves are for bench/RESULTS.md, never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_SINK_PROCESSES = 8
MAX_PORTS_PER_PROCESS = 1000
MAX_ADDRESSES_PER_PROCESS = 5000


def loop_factory() -> Callable | None:
    """uvloop's loop when installed (it comes with uvicorn[standard], which serves the hub), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def machine() -> str:
    """One line describing this machine: CPU model, cores, memory, Python."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "? GiB"
    return f"{model}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()} on {platform.system()}"


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ratio_line(name: str, ratio: float, goal: str, **figures: str) -> bool:
    """Print the RATIO line; ``goal`` is ``<=X`` or ``>=X``. Returns whether the goal is met."""
    limit = float(goal[2:])
    met = ratio <= limit if goal.startswith("<=") else ratio >= limit
    extra = " ".join(f"{k}={v}" for k, v in figures.items())
    print(f"RATIO name={name} ratio={ratio:.2f} goal={goal} met={'yes' if met else 'no'} {extra}".rstrip(), flush=True)
    return met


def header(title: str, **settings: object) -> None:
    """Print what runs, where and when."""
    print(f"# {title}", flush=True)
    print(f"machine: {machine()}", flush=True)
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {load_average()}", flush=True)
    if settings:
        print("settings: " + " ".join(f"{k}={v}" for k, v in settings.items()), flush=True)


def write_key(public_pem: str) -> str:
    """Write a public key to a temporary file the sinks read; returns its path."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False, prefix="causeway-bench-")
    handle.write(public_pem)
    handle.close()
    return handle.name


@dataclass
class SinkProcess:
    """One ``bench.sinks`` process and what it reported when ready."""

    popen: subprocess.Popen
    ports: list[int | str]
    """Ports of 127.0.0.1, or ``address:port`` strings in addresses mode."""
    behaviours: list[str]
    control: int


@dataclass
class SinkFleet:
    """A few sink processes sharing the instances between them (see bench.sinks)."""

    processes: list[SinkProcess] = field(default_factory=list)

    @classmethod
    def start(cls, instances: int, *, key_file: str, behaviours: Sequence[str] = ("ok",), processes: int = 4,
              max_seconds: float = 120.0, max_requests: int = 1_000_000, addresses: bool = False) -> SinkFleet:
        """Start ``processes`` sink processes serving ``instances`` ports in all; behaviours are cycled per port.

        With ``addresses`` each instance is a distinct loopback address ``127.1.X.Y`` on one port (all ``ok``).
        """
        processes = max(1, min(processes, MAX_SINK_PROCESSES, instances))
        fleet = cls()
        share = [instances // processes + (1 if i < instances % processes else 0) for i in range(processes)]
        offset = 0
        try:
            for count in share:
                if count > (MAX_ADDRESSES_PER_PROCESS if addresses else MAX_PORTS_PER_PROCESS):
                    raise ValueError(f"{count} instances in one sink process is too many")
                mine = [behaviours[(offset + i) % len(behaviours)] for i in range(count)]
                fleet.processes.append(_launch(count, key_file, mine, max_seconds, max_requests,
                                               first_address=offset if addresses else None))
                offset += count
        except BaseException:
            fleet.stop()
            raise
        return fleet

    @property
    def instances(self) -> list[tuple[int | str, str]]:
        """(port, behaviour) of every instance (``address:port`` instead of the port in addresses mode)."""
        return [pair for p in self.processes for pair in zip(p.ports, p.behaviours)]

    @property
    def hosts(self) -> list[str]:
        """``host:port`` of every instance."""
        return [port if isinstance(port, str) else f"127.0.0.1:{port}" for port, _ in self.instances]

    def stats(self) -> dict:
        """The counts of all processes added up; ``last_ok_at`` is the latest 2xx answer."""
        total: dict = {"received": 0, "valid": 0, "invalid": {}, "per_port": {}, "first_per_port": {}, "last_ok_at": None,
                       "last_at": None}
        with httpx.Client(timeout=10, trust_env=False) as client:
            for process in self.processes:
                part = client.get(f"http://127.0.0.1:{process.control}/stats").json()
                total["received"] += part["received"]
                total["valid"] += part["valid"]
                for reason, count in part["invalid"].items():
                    total["invalid"][reason] = total["invalid"].get(reason, 0) + count
                total["per_port"].update({_instance(k): v for k, v in part["per_port"].items()})
                total["first_per_port"].update({_instance(k): v for k, v in part["first_per_port"].items()})
                for key in ("last_ok_at", "last_at"):
                    if part[key] is not None:
                        total[key] = max(total[key] or 0.0, part[key])
        return total

    def received(self) -> int:
        """POSTs received so far by all processes."""
        return self.stats()["received"]

    def stop(self) -> None:
        """Ask every process to quit, then make sure it is gone."""
        for process in self.processes:
            if process.popen.poll() is None:
                try:
                    httpx.post(f"http://127.0.0.1:{process.control}/quit", timeout=2, trust_env=False)
                except httpx.HTTPError:
                    pass
        for process in self.processes:
            try:
                process.popen.wait(5)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(5)


def _instance(key: str) -> int | str:
    """A sink's per-instance key: the port, or ``address:port`` in addresses mode."""
    return int(key) if key.isdigit() else key


def _launch(count: int, key_file: str, behaviours: list[str], max_seconds: float, max_requests: int,
            first_address: int | None = None) -> SinkProcess:
    args = [sys.executable, "-m", "bench.sinks", "--ports", str(min(count, MAX_PORTS_PER_PROCESS)), "--key-file", key_file,
            "--behaviour", ",".join(behaviours), "--max-seconds", str(max_seconds), "--max-requests", str(max_requests)]
    if first_address is not None:
        args += ["--addresses", str(count), "--first-address", str(first_address)]
    popen = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=None, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([popen.stdout], [], [], 0.5)
        if ready:
            line = popen.stdout.readline()
            if line.startswith("READY "):
                info = json.loads(line[6:])
                return SinkProcess(popen, info["ports"], info["behaviours"], info["control"])
            if not line and popen.poll() is not None:
                break
    popen.kill()
    raise RuntimeError("a sink process did not become ready within 30 s")


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds; returns whether it became true."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess (the hub or a baseline) on 127.0.0.1:port, stopped with SIGTERM."""

    def __init__(self, args: Sequence[str], port: int, *, env: dict[str, str] | None = None, ready_path: str = "/") -> None:
        self.port = port
        self.log = tempfile.NamedTemporaryFile("w+", prefix="causeway-bench-server-", suffix=".log", delete=False)
        self.popen = subprocess.Popen(list(args), cwd=REPO_ROOT, env={**os.environ, **(env or {})},
                                      stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{args[:4]} exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2, trust_env=False)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{args[:4]} did not answer within 60 s")

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.log.close()


@dataclass
class LoadResult:
    """What a load run measured: seconds, per-request latencies (s) and statuses."""

    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        """Requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        """The q-th percentile latency in milliseconds."""
        return percentile(self.latencies, q) * 1000


async def load(requests: Sequence[tuple[str, str, dict[str, str], bytes | None]], concurrency: int) -> LoadResult:
    """Send (method, url, headers, body) requests with ``concurrency`` aiohttp workers over kept-alive connections."""
    import asyncio

    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            for method, url, headers, body in queue:
                started = time.perf_counter()
                async with session.request(method, url, headers=headers, data=body) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return LoadResult(time.perf_counter() - started, latencies, statuses)


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"
