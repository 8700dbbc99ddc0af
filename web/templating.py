"""Jinja2 templates (autoescaped, translated with gettext) with the few globals every page needs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from federation.post_media import link_hashtags, post_media
from federation.sanitize import plain_text, render_local_text
from hub import __version__
from hub.models import RemoteActor
from hub.languages import DEFAULT_LANGUAGE
from hub.models import Gathering
from hub.services.gatherings import local_when
from hub.settings import Settings
from hub.timezones import format_moment
from web import csrf, i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


@pass_context
def format_time(context: Context, value: datetime | None) -> str:
    """A moment in the page's time zone and language, the zone named (the ``<time>`` element carries ISO 8601)."""
    return format_moment(value, context.get("time_zone"), context.get("lang") or DEFAULT_LANGUAGE)


@pass_context
def event_when(context: Context, gathering: Gathering) -> str:
    """When an event is, in the page's language: in the signed-in person's own zone when they chose one, else in
    the event's zone, the zone named."""
    account = context.get("account")
    zone = account.time_zone if account is not None and getattr(account, "time_zone", None) else None
    return local_when(gathering, context.get("lang") or DEFAULT_LANGUAGE, zone)


class RouteCache:
    """Memoised ``url_path_for`` per (route name, path parameters): a page links a dozen routes, and
    Starlette finds each by trying every route of the table in turn (a third of a page's render time).

    URLs are made absolute on the hub's own ``base_url`` (HUB_SCHEME and HUB_DOMAIN), never on the
    request's Host header and scheme: behind a TLS proxy the request is plain http, and a forged Host
    would otherwise be written into the page's links.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._urls: dict[tuple[int, str, tuple[tuple[str, str], ...]], URL] = {}

    def url_for(self, request: Request, name: str, params: dict[str, Any]) -> URL:
        """The absolute URL of route ``name`` with ``params`` on the hub's base URL."""
        router = request.scope["router"]
        key = (id(router), name, tuple(sorted((k, str(v)) for k, v in params.items())))
        url = self._urls.get(key)
        if url is None:
            url = router.url_path_for(name, **params).make_absolute_url(base_url=self.base_url)
            if len(self._urls) < 10_000:
                self._urls[key] = url
        return url


class SiteFrame:
    """The site's header (per language and reader) and footer (per language), each rendered once.

    Every HTML page repeats them: two dozen links and a dozen translated words, about a quarter of a
    signed-in page's CPU once its main part comes from web.fragments (bench.group_page). They depend on
    nothing but their key — links are built on the hub's own base URL, words on the language, and the
    reader (account and name) is in the header's key — so a copy never goes stale and is kept until
    :data:`SIZE` others are newer. What varies per request is put in on each use: the reader's CSRF
    token (the sign-out form) and the page's own path (the footer's language links come back to it;
    ``here`` is percent-quoted, so it needs no HTML escaping).
    """

    SIZE = 1024
    HERE = "/here-placeholder"

    def __init__(self, env) -> None:
        self.env = env
        self._parts: OrderedDict[tuple, str] = OrderedDict()

    def part(self, context: Context, template: str, key: tuple) -> Markup:
        """``template`` rendered with ``context`` (with the placeholders), kept by ``(template, *key)``."""
        key = (template, *key)
        html = self._parts.get(key)
        if html is None:
            html = self.env.get_template(template).render(
                {**context.get_all(), "csrf_token": csrf.PLACEHOLDER, "here": self.HERE})
            self._parts[key] = html
            if len(self._parts) > self.SIZE:
                self._parts.popitem(last=False)
        else:
            self._parts.move_to_end(key)
        html = html.replace(csrf.PLACEHOLDER, str(context.get("csrf_token", "")))
        return Markup(html.replace(self.HERE, str(context.get("here", "/"))))

    def install(self) -> None:
        """Give the templates ``site_header()`` and ``site_footer()``."""

        @pass_context
        def site_header(context: Context) -> Markup:
            account = context.get("account")
            reader = (account.id, account.handle or account.username) if account is not None else None
            return self.part(context, "_site_header.html", (context["lang"], reader))

        @pass_context
        def site_footer(context: Context) -> Markup:
            return self.part(context, "_site_footer.html", (context["lang"],))

        self.env.globals.update(site_header=site_header, site_footer=site_footer)


def markdown_text(source: str, length: int = 200) -> str:
    """Markdown written on this hub as the plain text it reads as (no ``**`` or ``#``), cut at a word near ``length``."""
    text = plain_text(render_local_text(source or "", max_length=4 * length), max_length=4 * length)
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def avatar_url(account: Any) -> str | None:
    """The https avatar of a post's author, when the page fetched the author's actor with it (``author__remote``)."""
    remote = getattr(account, "_remote", None) if account is not None else None
    url = getattr(remote, "icon_url", None) if isinstance(remote, RemoteActor) else None
    return url if isinstance(url, str) and url.startswith("https://") else None


def build_templates(settings: Settings) -> Jinja2Templates:
    """Templates with autoescape on, gettext installed, and the hub's domain and version available to every page."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.autoescape = True
    templates.env.auto_reload = False  # templates change with a new release, which restarts the hub: no stat() per page
    i18n.install(templates.env)
    templates.env.filters["when"] = format_time
    templates.env.globals["event_when"] = event_when
    templates.env.filters["markdown_text"] = markdown_text
    templates.env.globals.update(domain=settings.domain, base_url=settings.base_url, version=__version__)
    routes = RouteCache(settings.base_url)

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
        return routes.url_for(context["request"], name, path_params)

    templates.env.globals["url_for"] = url_for
    templates.env.globals.update(post_media=post_media, avatar_url=avatar_url)

    def local_hashtags(content_html: str, slug: str, tags: Iterable[str] = ()) -> Markup:
        """A post's sanitised HTML with its hashtags (links, and its ``tags`` written as plain text) leading to the
        group's hashtag page."""
        base = f"{settings.base_url}/groups/{slug}/tags/"
        return Markup(link_hashtags(content_html or "", lambda tag: base + quote(tag), tags))

    templates.env.filters["local_hashtags"] = local_hashtags
    SiteFrame(templates.env).install()
    return templates
