"""Alembic environment: runs Causeway's hand-written revisions against HUB_DATABASE_URL.

The URL defaults to the hub's settings (HUB_DATABASE_URL, else hub.sqlite3 in HUB_DATA_DIR); it may
also be passed as ``-x url=...`` or through ``config.attributes["url"]`` (hub migrate).
SQLAlchemy is used here and in the revisions only; the application talks to the database through tortoise.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from hub.migrations import sqlalchemy_url
from hub.settings import load_settings

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    return sqlalchemy_url(url or load_settings().database_url)


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=_url(), literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the revisions on a live connection."""
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
