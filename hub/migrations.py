"""Applying the alembic revisions from code (``hub migrate``), and refusing to use a database that is not migrated.

Every command that uses the database opens it with :func:`migrated_database`, which says "run `hub migrate`"
(:class:`~hub.errors.NotMigrated`) instead of failing later on "no such table", and names the host, port and
setting when the database cannot be reached (:class:`~hub.errors.DatabaseUnavailable`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tortoise import connections
from tortoise.exceptions import DBConnectionError

from hub.db import connected, database_label, sqlite_path, unreachable
from hub.errors import NotMigrated

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "alembic" / "versions"
_FIELD_RE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE)
UNREACHABLE_ERRORS = (OSError, TimeoutError, DBConnectionError)
"""What connecting raises when the server is down, unknown or refuses us (tortoise wraps asyncpg's own)."""


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


def revision_graph() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision, the heads) read from ``alembic/versions`` as text: loading alembic's script
    directory costs about half a second, too much for a check made by every command."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        fields = dict(_FIELD_RE.findall(path.read_text()))
        if "revision" not in fields:
            continue
        revisions.add(ast.literal_eval(fields["revision"]))
        down = ast.literal_eval(fields.get("down_revision", "None"))
        parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions), frozenset(revisions - parents)


async def _applied_revisions(database_url: str) -> set[str]:
    """The revisions recorded in the connected database's ``alembic_version`` table (empty when it has none)."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        probe = "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        probe = "SELECT 1 AS present WHERE to_regclass('alembic_version') IS NOT NULL"
    try:
        if not await conn.execute_query_dict(probe):
            return set()
        return {row["version_num"] for row in await conn.execute_query_dict("SELECT version_num FROM alembic_version")}
    except UNREACHABLE_ERRORS as exc:
        raise unreachable(database_url, exc) from exc


async def require_current(database_url: str) -> None:
    """Raise NotMigrated unless the connected database is at this code's head revision(s)."""
    applied = await _applied_revisions(database_url)
    known, heads = revision_graph()
    where = database_label(database_url)
    if not applied:
        raise NotMigrated(f"the {where} has no Causeway tables yet: run `hub migrate` first")
    if applied - known:
        raise NotMigrated(
            f"the {where} is at revision {', '.join(sorted(applied))}, which this version of Causeway does not know "
            f"(its latest is {', '.join(sorted(heads))}): upgrade Causeway, or point HUB_DATABASE_URL elsewhere"
        )
    if applied != heads:
        raise NotMigrated(
            f"the {where} is at revision {', '.join(sorted(applied))} and this version needs "
            f"{', '.join(sorted(heads))}: run `hub migrate`"
        )


@asynccontextmanager
async def migrated_database(database_url: str) -> AsyncIterator[None]:
    """Connect for the duration of a block after checking the database exists and is migrated.

    A missing SQLite file is reported without creating an empty one (a ``hub`` run from another
    directory must not silently start a second, empty database).
    """
    path = sqlite_path(database_url)
    if path is not None and not path.exists():
        raise NotMigrated(
            f"there is no database at {path.resolve()} (HUB_DATA_DIR, or HUB_DATABASE_URL): "
            "run `hub migrate` to create it, or run `hub` where your data directory is"
        )
    async with connected(database_url):
        await require_current(database_url)
        yield


@dataclass(frozen=True)
class MigrationResult:
    """What ``hub migrate`` did: the revisions before and after, and the tables the database holds now."""

    location: str
    """The database, as :func:`hub.db.database_label` describes it."""
    before: tuple[str, ...]
    """Revisions recorded before (empty for a new database)."""
    after: tuple[str, ...]
    """Revisions recorded after."""
    tables: int
    """Tables in the database afterwards (alembic's own included)."""

    def describe(self) -> str:
        """One line for a person: created, upgraded, or already current."""
        after = ", ".join(self.after)
        if not self.before:
            return f"created the Causeway schema (revision {after}, {self.tables} tables) in the {self.location}"
        if self.before != self.after:
            return f"upgraded the {self.location} from revision {', '.join(self.before)} to {after}"
        return f"database is at the latest schema (revision {after}) in the {self.location}"


def _state(database_url: str) -> tuple[tuple[str, ...], int]:
    """(recorded revisions, number of tables) of the database, read with SQLAlchemy."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, inspect, pool
    from sqlalchemy.exc import OperationalError

    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
            return tuple(sorted(heads)), len(inspect(connection).get_table_names())
    except OperationalError as exc:
        raise unreachable(database_url, exc.orig or exc) from exc
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> MigrationResult:
    """Apply every revision up to ``revision`` (idempotent) and say what changed."""
    path = sqlite_path(database_url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unreachable(database_url, exc) from exc
    from alembic import command

    before, _ = _state(database_url)
    command.upgrade(alembic_config(database_url), revision)
    after, tables = _state(database_url)
    return MigrationResult(database_label(database_url), before, after, tables)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert revisions down to ``revision``."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)

