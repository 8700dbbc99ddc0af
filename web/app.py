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
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from federation import discovery_endpoints, endpoints
from federation.context import build_federation
from federation.features import members_only, partners
from federation.runtime import build_worker
from federation.urls import Urls
from hub import db
from hub.secret import load_or_create_secret
from hub.settings import Settings
from web import admin_health, console, console_network, feeds, health, i18n, join, media, metrics, pages, preferences, sessions, signin
from web import campaign_console, campaign_pages, console_organisers, console_settings, member_home
from web import decision_pages, gathering_console, gathering_pages, library_pages
from web import admin_console, admin_groups
from web.rendering import exception_handlers
from web.inboxlane import InboxLane
from web.activity import ActivityCache
from web.loopback import LoopbackAliases
from web.fragments import FragmentCache
from web.moved import MovedGroups
from web.pagecache import PageCache
from web.proxies import ClientAddressMiddleware, TrustedProxies
from web.security import SecurityHeadersMiddleware
from web.templating import build_templates

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("causeway.web")


def routes() -> list:
    """The route table: public pages, sign-in, the console, ActivityPub endpoints, discovery and static files."""
    group_console = "/console/groups/{slug}"
    return [
        # Inbox POSTs are served by web.inboxlane before the route table; these answer other methods (405).
        Route("/inbox", endpoints.inbox, methods=["POST"]),
        Route("/groups/{slug}/inbox", endpoints.inbox, methods=["POST"]),
        Route("/actor/inbox", endpoints.inbox, methods=["POST"]),
        Route("/", pages.home, name="home"),
        Route("/about", pages.about, name="about"),
        Route("/language/{code}", i18n.switch_language, name="language"),
        Route("/preferences", preferences.preferences, name="preferences"),
        Route("/preferences", preferences.save_preferences, methods=["POST"], name="preferences_save"),
        Route("/login", signin.login, name="login"),
        Route("/login/password", signin.login_password, methods=["POST"], name="login_password"),
        Route("/login/link", signin.login_link, methods=["POST"], name="login_link"),
        Route("/login/link/{token}", signin.link_landing, name="login_link_landing"),
        Route("/login/link/{token}", signin.link_redeem, methods=["POST"], name="login_link_redeem"),
        Route("/logout", signin.logout, methods=["POST"], name="logout"),
        *member_home.routes(),
        Route("/console", console.index, name="console"),
        Route("/console/admin/health", admin_health.health, name="admin_health"),
        Route("/console/admin/health/queue.svg", admin_health.queue_chart, name="admin_health_chart"),
        *admin_console.routes(),
        *admin_groups.routes(),
        Route("/console/groups", console.create_group, methods=["POST"], name="console_create_group"),
        Route(group_console, console.group_home, name="console_group"),
        Route(f"{group_console}/profile", console.update_profile, methods=["POST"], name="console_profile"),
        Route(f"{group_console}/avatar", console.upload_image, methods=["POST"], name="console_avatar"),
        Route(f"{group_console}/image/{{kind}}", console.upload_image, methods=["POST"], name="console_image"),
        Route(f"{group_console}/members", console.members_page, name="console_members"),
        Route(f"{group_console}/members/{{membership_id:int}}/role", console.member_role, methods=["POST"], name="console_member_role"),
        Route(f"{group_console}/members/{{membership_id:int}}/{{action}}", console.member_action, methods=["POST"], name="console_member_action"),
        Route(f"{group_console}/posts", console.posts_page, name="console_posts"),
        Route(f"{group_console}/posts/{{post_id:int}}/{{action}}", console.post_action, methods=["POST"], name="console_post_action"),
        *console_network.routes(group_console),
        *console_settings.routes(group_console),
        *campaign_console.routes(group_console),
        *console_organisers.routes(group_console),
        *gathering_console.routes(group_console),
        *decision_pages.routes(group_console),
        *library_pages.routes(group_console),
        Route("/media/{name}", media.serve, name="media"),
        Route("/groups/{slug}", pages.group, name="group"),
        Route("/groups/{slug}/join", join.join, methods=["POST"], name="join"),
        Route("/groups/{slug}/moderation", pages.moderation_log, name="moderation_log"),
        Route("/groups/{slug}/tags/{tag}", pages.hashtag, name="hashtag"),
        Route("/groups/{slug}/feed.rss", feeds.rss, name="feed_rss"),
        Route("/groups/{slug}/feed.atom", feeds.atom, name="feed_atom"),
        *gathering_pages.routes(),
        Route("/groups/{slug}/campaigns", campaign_pages.campaigns_index, name="campaigns"),
        Route("/groups/{slug}/campaigns/{campaign}", campaign_pages.campaign_page, name="campaign"),
        Route("/groups/{slug}/campaigns/{campaign}/feed.atom", campaign_pages.campaign_feed, name="campaign_feed"),
        Route("/groups/{slug}/campaigns/{campaign}/impact.svg", campaign_pages.impact_chart, name="campaign_impact"),
        Route("/groups/{slug}/calls/{call_id:int}", campaign_pages.call_page, name="call"),
        Route("/groups/{slug}/calls/{call_id:int}/signup", campaign_pages.call_signup, methods=["POST"], name="call_signup"),
        Route("/groups/{slug}/board", campaign_pages.board_page, name="board"),
        Route("/groups/{slug}/objects/{kind}/{object_id:int}", campaign_pages.group_object, name="group_object"),
        Route("/collaborations/{slug}", pages.collaboration, name="collaboration"),
        Route("/collaborations/{slug}/map.svg", pages.collaboration_map, name="collaboration_map"),
        Route("/groups/{slug}/outbox", endpoints.outbox),
        Route("/groups/{slug}/followers", endpoints.followers),
        Route("/groups/{slug}/moderators", endpoints.moderators),
        Route("/groups/{slug}/featured", endpoints.featured),
        Route("/groups/{slug}/posts/{post_id:int}", members_only.group_post),
        Route("/posts/{post_id:int}", pages.thread, name="thread"),
        Route("/actor", endpoints.instance_actor),
        Route("/actor/notices", partners.notices_actor),
        Route("/.well-known/webfinger", discovery_endpoints.webfinger),
        Route("/.well-known/host-meta", discovery_endpoints.host_meta),
        Route("/.well-known/host-meta.json", discovery_endpoints.host_meta),
        Route("/.well-known/nodeinfo", discovery_endpoints.nodeinfo_links),
        Route("/nodeinfo/{version}", discovery_endpoints.nodeinfo),
        Route("/metrics", metrics.metrics),
        Route("/healthz", health.healthz),
        Route("/favicon.ico", pages.favicon),
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
        await fed.share(listen=True)
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

    secret = load_or_create_secret(settings.data_dir)
    proxies = TrustedProxies(settings.trusted_proxies)
    middleware = [
        *([Middleware(ClientAddressMiddleware, proxies=proxies)] if proxies else []),
        Middleware(InboxLane),
        Middleware(SecurityHeadersMiddleware),
        Middleware(LoopbackAliases, settings=settings),
        Middleware(MovedGroups),
        Middleware(
            SessionMiddleware, secret_key=secret.decode(), session_cookie=sessions.COOKIE, max_age=sessions.MAX_AGE,
            same_site="lax", https_only=settings.scheme == "https",
        ),
    ]
    app = Starlette(routes=routes(), lifespan=lifespan, middleware=middleware, exception_handlers=exception_handlers())
    app.state.settings = settings
    app.state.secret = secret
    app.state.urls = Urls(settings.base_url)
    app.state.catalogs = i18n.Catalogs.load()
    app.state.templates = build_templates(settings)
    app.state.page_cache = PageCache()
    app.state.fragments = FragmentCache()
    app.state.activity_cache = ActivityCache()
    return app
