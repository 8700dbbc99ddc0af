"""The web layer's CLI command: ``hub serve`` (uvicorn with the app, and the worker unless --no-worker)."""

from __future__ import annotations

import argparse
import asyncio
import signal

import uvicorn

from hub import db, logs
from hub.heap import freeze_startup_objects
from hub.services.instance import instance_key, seed_example_group
from hub.settings import Settings
from web.app import create_app


async def _prepare(settings: Settings, example_group: bool) -> None:
    """Make sure the instance key exists and, if asked, that an empty hub has its example group."""
    async with db.connected(settings.database_url):
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
    asyncio.run(_prepare(settings, args.example_group))
    app = create_app(settings, run_worker=not args.no_worker)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level=settings.log_level, proxy_headers=False,
        server_header=False, timeout_graceful_shutdown=5, lifespan="on",
        # uvicorn builds each access-log line's fields before asking the logger; skip it when info is off.
        access_log=settings.log_level in ("debug", "info"),
    )
    print(f"Causeway serving {settings.base_url} on http://{args.host}:{args.port}", flush=True)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal against the handlers it
    # found; with these in place that re-raise is a no-op and the command exits 0 without a traceback.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)
    freeze_startup_objects()
    uvicorn.Server(config).run()
    print("Causeway stopped", flush=True)
    return 0


def register(cli) -> None:
    """Add ``hub serve`` to the command tree."""
    parser = cli.command("serve", "run the web server (and the delivery worker unless --no-worker)", serve, needs_db=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true", help="serve only; run `hub worker` separately")
    parser.add_argument("--example-group", action="store_true", help="create an example group if the hub has none")
