"""The federation layer's ``hub`` commands (registered by the composition root, causeway.cli).

``register`` adds each command with its arguments; handlers are ``(args, settings) -> int``.
``hub worker`` connects to the database itself and runs until SIGTERM or SIGINT, leaving
unfinished work in the database for the next start. Many workers (and ``hub serve`` processes
with their in-process worker) may share one PostgreSQL database: rows are leased with ``FOR
UPDATE SKIP LOCKED``, and a worker that dies lets its leases expire. With SQLite run one process.

Logs go to stderr in the format of ``hub serve`` (``time LEVEL logger: message``); delivery and
worker messages carry ``key=value`` fields (``delivery outcome=retry id=12 host=a.example …``) so
they can be grepped and parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from federation.context import build_federation
from federation.runtime import build_worker
from federation.worker import DEFAULT_CONCURRENCY, DEFAULT_PER_HOST
from hub import logs
from hub.heap import freeze_startup_objects
from hub.migrations import migrated_database
from hub.settings import Settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _loop_factory():
    """uvloop's event loop when installed (it comes with uvicorn[standard], as for ``hub serve``)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _run_worker(args: argparse.Namespace, settings: Settings) -> int:
    async with migrated_database(settings.database_url):
        fed = build_federation(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        try:
            await fed.share(listen=False)
            worker = build_worker(fed, concurrency=args.concurrency, per_host=args.per_host)
            freeze_startup_objects()
            print(f"worker {worker.owner} running (concurrency {args.concurrency}, {args.per_host} per server); "
                  "stop with Ctrl-C or SIGTERM", flush=True)
            await worker.run(stop)
            print(f"worker {worker.owner} stopped", flush=True)
        finally:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
            await fed.close()
    return 0


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """``hub worker``: process received activities, events and deliveries until SIGTERM/SIGINT."""
    logs.configure(settings.log_level)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_run_worker(args, settings))


def register(cli) -> None:
    """Add the federation commands to the ``hub`` command tree."""
    p = cli.command("worker", "process received activities, events and deliveries until stopped", worker, needs_db=False)
    p.add_argument("--concurrency", type=_positive, default=DEFAULT_CONCURRENCY,
                   help=f"deliveries sent at once, not counting slow ones (default {DEFAULT_CONCURRENCY})")
    p.add_argument("--per-host", type=_positive, default=DEFAULT_PER_HOST,
                   help=f"deliveries sent at once to one server (default {DEFAULT_PER_HOST})")
