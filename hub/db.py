"""Connecting tortoise to the configured database (schema generation stays off: alembic owns it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext

from hub.errors import DatabaseUnavailable

MODEL_MODULES = ["hub.models"]


SQLITE_SYNCHRONOUS = "NORMAL"
"""SQLite commits under WAL without an fsync each (tortoise turns WAL on): a crash of the process loses
nothing, a power cut at most the last commits, never consistency. With the default (FULL) every
commit waits for the disk: about 4 ms here, which capped the inbox at ~200 stored activities/s
(bench/RESULTS.md)."""


def _with_sqlite_pragmas(database_url: str) -> str:
    if not database_url.startswith("sqlite://") or "synchronous=" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + f"synchronous={SQLITE_SYNCHRONOUS}"


async def _release_to_pool(connection) -> None:
    """What a PostgreSQL connection needs when it goes back to the pool: no transaction left open.

    asyncpg's default resets the whole session on every release (advisory locks, cursors, LISTEN,
    settings): a second round trip after each of the hub's queries, which uses none of those. An
    open transaction (a query cancelled mid-transaction) is rolled back.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


SQLITE_ENGINE = "hub.sqlite_engine"
"""Tortoise's SQLite backend with transactions begun as ``BEGIN IMMEDIATE`` (see that module)."""


def _connection(database_url: str) -> dict:
    if database_url.startswith("sqlite://"):
        config = expand_db_url(_with_sqlite_pragmas(database_url))
        config["engine"] = SQLITE_ENGINE
        return config
    config = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.asyncpg":
        config["credentials"]["reset"] = _release_to_pool
    return config


def tortoise_config(database_url: str) -> dict:
    """The tortoise configuration for one database URL (models app ``models``, UTC timestamps)."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def sqlite_path(database_url: str) -> Path | None:
    """The file of a sqlite:// URL, or None for other databases and in-memory SQLite."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url[len("sqlite://") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def database_label(database_url: str) -> str:
    """Where the database is, for messages: ``SQLite file /abs/path`` or ``PostgreSQL database DB at HOST:PORT`` (never a password)."""
    path = sqlite_path(database_url)
    if path is not None:
        return f"SQLite file {path.resolve()}"
    if database_url.startswith("sqlite://"):
        return "in-memory SQLite database"
    parts = urlsplit(database_url)
    return f"PostgreSQL database {parts.path.strip('/')!r} at {parts.hostname}:{parts.port or 5432}"


def unreachable(database_url: str, exc: BaseException) -> DatabaseUnavailable:
    """A DatabaseUnavailable saying which database (host and port, or file) failed, why, and which setting names it."""
    reason = (str(exc).strip().splitlines() or [""])[0] or type(exc).__name__
    if database_url.startswith("sqlite://"):
        where = "HUB_DATABASE_URL, or hub.sqlite3 in HUB_DATA_DIR when HUB_DATABASE_URL is not set"
        return DatabaseUnavailable(f"cannot open the {database_label(database_url)} ({where}): {reason}")
    return DatabaseUnavailable(
        f"cannot connect to the {database_label(database_url)} (set by HUB_DATABASE_URL): {reason}; "
        "is the server running and the URL right?"
    )


async def connect(database_url: str) -> TortoiseContext:
    """Initialise tortoise for this process; the tables must already exist (``hub migrate``)."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def disconnect() -> None:
    """Close every connection tortoise opened."""
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[None]:
    """Connect for the duration of a block (CLI commands, workers)."""
    await connect(database_url)
    try:
        yield
    finally:
        await disconnect()
