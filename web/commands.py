"""The web layer's CLI command: ``hub serve`` (uvicorn with the app, and the worker unless --no-worker)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
import socket

import uvicorn

from hub import logs
from hub.heap import freeze_startup_objects
from hub.migrations import migrated_database
from hub.services.instance import instance_key, seed_example_group
from hub.settings import Settings, is_loopback_domain, split_domain
from web.app import create_app
from web.errors import PortUnavailable


def port_number(value: str) -> int:
    """``--port``: a TCP port, 1-65535 (anything else is a usage error, exit 2)."""
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port: expected a whole number from 1 to 65535")
    return int(value)


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for uvicorn; PortUnavailable (exit 1) says why it cannot be had."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise PortUnavailable(f"cannot listen on {host}:{port}: {host!r} is not an address of this machine ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(
                f"port {port} on {host} is already in use (another `hub serve` or `make run`?): "
                f"stop that process or pick another port with --port"
            ) from None
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def domain_notice(settings: Settings, host: str, port: int) -> str | None:
    """A warning when a loopback HUB_DOMAIN names another port than the one served: pages would link elsewhere."""
    if is_loopback_domain(settings.domain) and split_domain(settings.domain)[1] != str(port):
        return (f"warning: HUB_DOMAIN is {settings.domain} but this server listens on port {port}; pages and ids "
                f"point to {settings.base_url}. Set HUB_DOMAIN={host}:{port} to serve them here.")
    return None


async def _prepare(settings: Settings, example_group: bool) -> None:
    """Make sure the database is migrated, the instance key exists and, if asked, that an empty hub has its example group."""
    async with migrated_database(settings.database_url):
        await instance_key()
        if example_group:
            created = await seed_example_group()
            if created is not None:
                print(f"created the example group @{created.slug}@{settings.domain}")


def _stopped(signum: int, frame: object) -> None:
    """A stop signal that arrives after uvicorn has already shut down: nothing left to do."""


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the web server (and the in-process worker) until SIGTERM/SIGINT."""
    logs.configure(settings.log_level)
    sock = listen_socket(args.host, args.port)
    try:
        asyncio.run(_prepare(settings, args.example_group))
    except BaseException:
        sock.close()
        raise
    app = create_app(settings, run_worker=not args.no_worker)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level=settings.log_level, proxy_headers=False,
        server_header=False, timeout_graceful_shutdown=5, lifespan="on",
        # uvicorn builds each access-log line's fields before asking the logger; skip it when info is off.
        access_log=settings.log_level in ("debug", "info"),
    )
    notice = domain_notice(settings, args.host, args.port)
    if notice:
        print(notice, flush=True)
    print(f"Causeway serving {settings.base_url} on http://{args.host}:{args.port}", flush=True)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal against the handlers it
    # found; with these in place that re-raise is a no-op and the command exits 0 without a traceback.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)
    freeze_startup_objects()
    uvicorn.Server(config).run(sockets=[sock])
    print("Causeway stopped", flush=True)
    return 0


def register(cli) -> None:
    """Add ``hub serve`` to the command tree."""
    parser = cli.command("serve", "run the web server (and the delivery worker unless --no-worker)", serve, needs_db=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=8000, help="TCP port, 1-65535 (default 8000)")
    parser.add_argument("--no-worker", action="store_true", help="serve only; run `hub worker` separately")
    parser.add_argument("--example-group", action="store_true", help="create an example group if the hub has none")
