"""The Starlette application: ``create_app(settings, *, http_transport=None)`` and its route table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from federation import discovery_endpoints, endpoints
from federation.context import build_federation
from federation.runtime import build_worker
from hub import db
from hub.secret import load_or_create_secret
from hub.settings import Settings
from web import pages
from web.security import SecurityHeadersMiddleware
from web.templating import build_templates

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("causeway.web")


def routes() -> list:
    """The route table: public pages, ActivityPub endpoints, discovery and static files."""
    return [
        Route("/", pages.home, name="home"),
        Route("/about", pages.about, name="about"),
        Route("/groups/{slug}", pages.group, name="group"),
        Route("/groups/{slug}/inbox", endpoints.inbox, methods=["POST"]),
        Route("/groups/{slug}/outbox", endpoints.outbox),
        Route("/groups/{slug}/followers", endpoints.followers),
        Route("/groups/{slug}/moderators", endpoints.moderators),
        Route("/groups/{slug}/featured", endpoints.featured),
        Route("/posts/{post_id:int}", pages.thread, name="thread"),
        Route("/inbox", endpoints.inbox, methods=["POST"]),
        Route("/actor", endpoints.instance_actor),
        Route("/actor/inbox", endpoints.inbox, methods=["POST"]),
        Route("/.well-known/webfinger", discovery_endpoints.webfinger),
        Route("/.well-known/host-meta", discovery_endpoints.host_meta),
        Route("/.well-known/host-meta.json", discovery_endpoints.host_meta),
        Route("/.well-known/nodeinfo", discovery_endpoints.nodeinfo_links),
        Route("/nodeinfo/{version}", discovery_endpoints.nodeinfo),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(
    settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None, run_worker: bool = False
) -> Starlette:
    """Build the app; its lifespan connects the database, the outbound client and (optionally) a worker."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect(settings.database_url)
        fed = build_federation(settings, http_transport=http_transport)
        app.state.federation = fed
        stop = asyncio.Event()
        task = None
        if run_worker:
            worker = build_worker(fed)
            fed.wake_worker = worker.wake
            task = asyncio.create_task(worker.run(stop), name="causeway-worker")
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await fed.close()
            await db.disconnect()

    app = Starlette(routes=routes(), lifespan=lifespan, middleware=[Middleware(SecurityHeadersMiddleware)])
    app.state.settings = settings
    app.state.secret = load_or_create_secret(settings.data_dir)
    app.state.templates = build_templates(settings)
    return app
