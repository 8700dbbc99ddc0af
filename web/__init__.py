"""Causeway's web layer: the Starlette app, its routes, templates and static files."""
