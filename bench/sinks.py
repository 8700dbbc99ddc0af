"""Loopback sink servers for the benchmarks: one process listens on many ports, one simulated instance each.

    python -m bench.sinks --ports 250 --key-file PEM [--behaviour ok|slow:S|5xx|refuse,...]
                          [--max-seconds 120] [--max-requests N]
    python -m bench.sinks --addresses 2500 --first-address 0 --key-file PEM ...

Each port is an instance ``127.0.0.1:PORT``; with ``--addresses N`` each instance is instead one of N
distinct loopback addresses ``127.1.X.Y`` (from number ``--first-address`` on, see :func:`address`),
all on one port: the way 10,000 instances fit in a few processes, each on its own address as real
servers are (the sender keeps one connection pool per address, and no port range runs out). A POST is checked like a receiving server would
(``inspect_request`` for the host, date and digest, then the RSA signature with the one public key
of ``--key-file``) and answered 202 (``ok``), 202 after S seconds (``slow:S``) or 503 (``5xx``). A
``refuse`` port is bound but never listens, so connecting to it is refused. ``GET /users/NAME``
serves an actor document whose key is the one of ``--key-file`` (senders for the inbox bench).

The process picks free ports itself and prints one line ``READY {"ports": [...], "control": PORT,
"behaviours": [...]}``; ``GET /stats`` on the control port returns the counts, ``POST /quit`` ends
it. It exits on its own after ``--max-seconds`` or ``--max-requests`` POSTs, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
import time
from collections import Counter

from aiohttp import web

from bench.common import loop_factory
from federation.errors import FederationError
from federation.signatures import inspect_request, verify_claim

ACTOR_TYPE = "application/activity+json"


class Sink:
    """Counts and checks what every port receives."""

    def __init__(self, public_pem: str, max_requests: int) -> None:
        self.public_pem = public_pem
        self.max_requests = max_requests
        self.received = 0
        self.valid = 0
        self.invalid: Counter[str] = Counter()
        self.per_port: Counter[int] = Counter()
        self.first_per_port: dict[int, float] = {}
        self.digests: dict[int, list[str]] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.last_ok_at: float | None = None
        self.done = asyncio.Event()

    def check(self, request: web.Request, body: bytes, host: str) -> str | None:
        """None when the POST is correctly signed with the known key for ``host``, else why not."""
        path = request.path_qs
        try:
            claim = inspect_request("POST", f"http://{host}{path}", path, request.headers, body, expected_host=host)
            verify_claim(claim, self.public_pem)
        except FederationError as exc:
            return exc.reason
        return None

    async def post(self, request: web.Request) -> web.Response:
        """Receive one delivery; behave as this port's instance does."""
        port = request.app["port"]
        if port is None:  # addresses mode: the instance is the address the connection came in on
            address, number = request.transport.get_extra_info("sockname")[:2]
            port = f"{address}:{number}"
        body = await request.read()
        moment = time.time()
        self.first_at = self.first_at or moment
        self.received += 1
        self.per_port[port] += 1
        self.first_per_port.setdefault(port, moment)
        problem = self.check(request, body, port if isinstance(port, str) else f"127.0.0.1:{port}")
        if problem is None:
            self.valid += 1
        else:
            self.invalid[problem] += 1
        self.digests.setdefault(port, []).append(request.headers.get("digest", ""))
        behaviour = request.app["behaviour"]
        if behaviour.startswith("slow:"):
            await asyncio.sleep(float(behaviour.split(":", 1)[1]))
        self.last_at = time.time()
        if self.received >= self.max_requests:
            self.done.set()
        if behaviour == "5xx":
            return web.Response(status=503, text="busy")
        if problem is not None:
            return web.Response(status=401, text=problem)
        self.last_ok_at = self.last_at
        return web.Response(status=202)

    async def actor(self, request: web.Request) -> web.Response:
        """An actor document on this port, signing with the sink's key."""
        base = f"http://127.0.0.1:{request.app['port']}"
        uri = f"{base}/users/{request.match_info['name']}"
        doc = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri, "type": "Person", "preferredUsername": request.match_info["name"],
            "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "endpoints": {"sharedInbox": f"{base}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.public_pem},
        }
        return web.json_response(doc, content_type=ACTOR_TYPE)

    def stats(self) -> dict:
        """Counts so far (JSON-able)."""
        return {
            "received": self.received, "valid": self.valid, "invalid": dict(self.invalid),
            "per_port": {str(k): v for k, v in self.per_port.items()},
            "first_per_port": {str(k): v for k, v in self.first_per_port.items()},
            "first_at": self.first_at, "last_at": self.last_at, "last_ok_at": self.last_ok_at,
        }


def behaviours_from(spec: str, count: int) -> list[str]:
    """One behaviour per port from a comma-separated list (cycled); ``ok`` by default."""
    items = [s.strip() for s in spec.split(",") if s.strip()] or ["ok"]
    for item in items:
        if item not in ("ok", "5xx", "refuse") and not item.startswith("slow:"):
            raise SystemExit(f"unknown behaviour {item!r}: ok, slow:SECONDS, 5xx or refuse")
    return [items[i % len(items)] for i in range(count)]


def address(number: int) -> str:
    """The loopback address of instance ``number`` in addresses mode: 127.1.0.1, …, 127.1.0.254, 127.1.1.1, …"""
    if not 0 <= number < 254 * 256:
        raise ValueError(f"no address for instance {number}")
    return f"127.1.{number // 254}.{number % 254 + 1}"


def _bound_socket(listen: bool, host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(512)
        sock.setblocking(False)
    return sock


async def _serve_addresses(sink: Sink, args: argparse.Namespace, hosts: list[int | str]) -> web.AppRunner:
    """One app on one port of ``--addresses`` loopback addresses (all ``ok``); appends each ``address:port`` to ``hosts``."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app["port"], app["behaviour"] = None, "ok"
    app.router.add_post("/{tail:.*}", sink.post)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    port = 0
    for number in range(args.first_address, args.first_address + args.addresses):
        sock = _bound_socket(listen=True, host=address(number), port=port)
        port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        hosts.append(f"{address(number)}:{port}")
    return runner


async def serve(args: argparse.Namespace) -> None:
    """Start every port and the control port, print READY, run until done."""
    sink = Sink(open(args.key_file).read(), args.max_requests)
    behaviours = behaviours_from(args.behaviour, args.addresses or args.ports)
    runners: list[web.AppRunner] = []
    ports: list[int | str] = []
    idle: list[socket.socket] = []
    if args.addresses:
        runners.append(await _serve_addresses(sink, args, ports))
        behaviours = ["ok"] * len(ports)
    for behaviour in behaviours if not args.addresses else ():
        sock = _bound_socket(listen=behaviour != "refuse")
        port = sock.getsockname()[1]
        ports.append(port)
        if behaviour == "refuse":
            idle.append(sock)
            continue
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app["port"], app["behaviour"] = port, behaviour
        app.router.add_post("/{tail:.*}", sink.post)
        app.router.add_get("/users/{name}", sink.actor)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        runners.append(runner)

    control = web.Application()

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(sink.stats())

    async def digests(request: web.Request) -> web.Response:
        return web.json_response({str(k): v for k, v in sink.digests.items()})

    async def quit_(request: web.Request) -> web.Response:
        sink.done.set()
        return web.json_response({"quitting": True})

    control.router.add_get("/stats", stats)
    control.router.add_get("/digests", digests)
    control.router.add_post("/quit", quit_)
    control_runner = web.AppRunner(control, access_log=None, handle_signals=False)
    await control_runner.setup()
    control_sock = _bound_socket(listen=True)
    await web.SockSite(control_runner, control_sock).start()
    runners.append(control_runner)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sink.done.set)
    print("READY " + json.dumps({"ports": ports, "control": control_sock.getsockname()[1], "behaviours": behaviours}),
          flush=True)
    try:
        await asyncio.wait_for(sink.done.wait(), timeout=args.max_seconds)
    except TimeoutError:
        print(f"sink: stopping after {args.max_seconds} s", file=sys.stderr, flush=True)
    await asyncio.sleep(0.2)  # let the last responses leave
    for runner in runners:
        await runner.cleanup()
    for sock in idle:
        sock.close()


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description="loopback sink instances for the benchmarks")
    parser.add_argument("--ports", type=int, default=250, help="instances (ports) in this process")
    parser.add_argument("--key-file", required=True, help="PEM public key every POST must be signed with")
    parser.add_argument("--behaviour", default="ok", help="comma-separated, cycled over the ports: ok, slow:S, 5xx, refuse")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--addresses", type=int, default=0, help="instances on distinct 127.1.X.Y addresses instead of ports")
    parser.add_argument("--first-address", type=int, default=0, help="the number of the first address (see address())")
    args = parser.parse_args()
    if not 1 <= args.ports <= 1000:
        raise SystemExit("--ports must be 1..1000")
    if not 0 <= args.addresses <= 5000:
        raise SystemExit("--addresses must be 0..5000")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(serve(args))


if __name__ == "__main__":
    main()
