"""Jinja2 templates (autoescaped, translated with gettext) with the few globals every page needs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from hub import __version__
from hub.languages import DEFAULT_LANGUAGE
from hub.models import Gathering
from hub.services.gatherings import local_when
from hub.settings import Settings
from hub.timezones import format_moment
from web import i18n

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


def build_templates(settings: Settings) -> Jinja2Templates:
    """Templates with autoescape on, gettext installed, and the hub's domain and version available to every page."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.autoescape = True
    i18n.install(templates.env)
    templates.env.filters["when"] = format_time
    templates.env.globals["event_when"] = event_when
    templates.env.globals.update(domain=settings.domain, base_url=settings.base_url, version=__version__)
    routes = RouteCache(settings.base_url)

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
        return routes.url_for(context["request"], name, path_params)

    templates.env.globals["url_for"] = url_for
    return templates
