"""A recording sink for fault tests: one process, many loopback ports, each port one instance's inboxes.

    python -m tests.peers.sink --ports 20 [--delay 0.2] [--max-seconds 300]

Every POST (any path) is recorded — port, path, the activity id from the body, the Digest header
and whether it matches the body, when it arrived — and answered 202 after ``--delay`` seconds
(a slow server, so a fan-out takes long enough to be interrupted). The process prints one line
``READY {"ports": [...], "control": PORT}``; ``GET /received`` on the control port returns every
record, ``GET /health`` answers 200. It exits on SIGTERM or after ``--max-seconds``.

Independent of Causeway's code (aiohttp and the standard library only), like the Mastodon-like peer.
Use :func:`launch` from a test: it starts the process and returns a :class:`SinkHandle`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def digest_ok(header: str, body: bytes) -> bool:
    """Whether ``Digest: SHA-256=…`` matches the body."""
    expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    return any(part.strip() == expected for part in header.split(","))


async def serve(ports: int, delay: float, max_seconds: float) -> None:
    """Listen on ``ports`` free loopback ports and a control port until told to stop."""
    from aiohttp import web

    records: list[dict] = []
    stop = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            activity_id = json.loads(body).get("id")
        except (ValueError, AttributeError):
            activity_id = None
        digest = request.headers.get("Digest", "")
        records.append({"port": request.app["port"], "path": request.path, "id": activity_id, "digest": digest,
                        "digest_ok": digest_ok(digest, body), "signed": "Signature" in request.headers,
                        "at": time.time()})
        await asyncio.sleep(delay)
        return web.Response(status=202)

    async def received(request: web.Request) -> web.Response:
        return web.json_response(records)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    runners = []
    bound = []

    async def listen(app: web.Application) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        sock.setblocking(False)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        runners.append(runner)
        return sock.getsockname()[1]

    for _ in range(ports):
        app = web.Application()
        app.router.add_post("/{tail:.*}", receive)
        port = await listen(app)
        app["port"] = port
        bound.append(port)
    control = web.Application()
    control.router.add_get("/received", received)
    control.router.add_get("/health", health)
    control_port = await listen(control)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY " + json.dumps({"ports": bound, "control": control_port}), flush=True)
    try:
        await asyncio.wait_for(stop.wait(), timeout=max_seconds)
    except TimeoutError:
        pass
    for runner in runners:
        await runner.cleanup()


@dataclass
class SinkHandle:
    """A running sink process: its instance ports and its records."""

    process: subprocess.Popen
    ports: list[int]
    control: int

    def received(self) -> list[dict]:
        """Every POST recorded so far."""
        import httpx

        return httpx.get(f"http://127.0.0.1:{self.control}/received", timeout=10, trust_env=False).json()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def launch(ports: int, *, delay: float = 0.0, max_seconds: float = 300.0) -> SinkHandle:
    """Start a sink process and wait for its READY line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.peers.sink", "--ports", str(ports), "--delay", str(delay),
         "--max-seconds", str(max_seconds)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(f"the sink did not start: {line!r}")
    info = json.loads(line[len("READY "):])
    return SinkHandle(process, info["ports"], info["control"])


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description="recording sink instances for fault tests")
    parser.add_argument("--ports", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()
    asyncio.run(serve(max(1, min(args.ports, 200)), args.delay, args.max_seconds))


if __name__ == "__main__":
    main()
