"""Jinja2 templates (autoescaped) with the few globals every page needs."""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

from hub import __version__
from hub.settings import Settings

TEMPLATE_DIR = Path(__file__).parent / "templates"


def build_templates(settings: Settings) -> Jinja2Templates:
    """Templates with autoescape on and the hub's domain and version available to every page."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.autoescape = True
    templates.env.globals.update(domain=settings.domain, base_url=settings.base_url, version=__version__)
    return templates
