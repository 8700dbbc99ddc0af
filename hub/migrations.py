"""Applying the alembic revisions from code (``hub migrate``, app start-up checks, tests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hub.db import sqlite_path

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def sqlalchemy_url(database_url: str) -> str:
    """Translate a tortoise URL (sqlite://PATH, postgres://…) into the SQLAlchemy form alembic needs."""
    if database_url.startswith("sqlite://"):
        path = database_url[len("sqlite://") :].split("?", 1)[0]
        return "sqlite://" if path in ("", ":memory:") else f"sqlite:///{path}"
    scheme, rest = database_url.split("://", 1)
    if scheme in ("postgres", "postgresql", "asyncpg"):
        return f"postgresql+psycopg2://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


def alembic_config(database_url: str) -> Config:
    """An alembic Config pointing at this repository's revisions and the given database."""
    from alembic.config import Config  # imported when needed: alembic adds ~0.3 s to every `hub` command

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every revision up to ``revision`` (idempotent)."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert revisions down to ``revision``."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
