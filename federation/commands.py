"""The federation layer's ``hub`` commands (loaded through the ``causeway.cli`` entry point).

``register`` adds each command with its arguments; handlers are ``async (args, settings) -> int``.
``hub worker`` connects to the database itself and runs until SIGTERM or SIGINT, leaving
unfinished work in the database for the next start.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from federation.context import build_federation
from federation.runtime import build_worker
from hub.db import connect, disconnect
from hub.settings import Settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    await connect(settings.database_url)
    fed = build_federation(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        worker = build_worker(fed, concurrency=args.concurrency, per_host=args.per_host)
        print(f"worker {worker.owner} running (concurrency {args.concurrency}); stop with Ctrl-C or SIGTERM", flush=True)
        await worker.run(stop)
        print(f"worker {worker.owner} stopped", flush=True)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await fed.close()
        await disconnect()
    return 0


def register(cli) -> None:
    """Add the federation commands to the ``hub`` command tree."""
    p = cli.command("worker", "process received activities, events and deliveries until stopped", _worker, needs_db=False)
    p.add_argument("--concurrency", type=_positive, default=16, help="deliveries sent at once (default 16)")
    p.add_argument("--per-host", type=_positive, default=4, help="deliveries sent at once to one server (default 4)")
