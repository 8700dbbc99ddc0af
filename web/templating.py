"""Jinja2 templates (autoescaped, translated with gettext) with the few globals every page needs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from starlette.templating import Jinja2Templates

from hub import __version__
from hub.settings import Settings
from web import i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


def format_time(value: datetime | None) -> str:
    """``2026-11-26 14:05 UTC`` (the same in every language; the ``<time>`` element carries ISO 8601)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def build_templates(settings: Settings) -> Jinja2Templates:
    """Templates with autoescape on, gettext installed, and the hub's domain and version available to every page."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.autoescape = True
    i18n.install(templates.env)
    templates.env.filters["when"] = format_time
    templates.env.globals.update(domain=settings.domain, base_url=settings.base_url, version=__version__)
    return templates
