"""Test databases: which backend a run uses, and fast fresh alembic-migrated databases on it.

The backend comes from ``HUB_TEST_DATABASE`` (``sqlite``, the default, or ``postgres``).

- SQLite: one template file is migrated per session and copied for every database asked for.
- PostgreSQL: one template database ``causeway_tpl_<pid>`` is migrated per session and every
  database asked for is ``CREATE DATABASE causeway_t_<pid>_<n> TEMPLATE causeway_tpl_<pid>``.
  At teardown a clone is dropped, or, when provably unchanged in schema, emptied and reused (see
  :class:`PostgresDatabases`); the rest and the template are dropped at session end. Admin SQL
  runs through psycopg2 in autocommit mode on ``HUB_TEST_POSTGRES_URL``.

Nothing here imports tortoise, so the helpers also serve tests that start hub subprocesses.
"""

from __future__ import annotations

import graphlib
import itertools
import os
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from hub.migrations import upgrade

BACKENDS = ("sqlite", "postgres")
DEFAULT_POSTGRES_URL = "postgres://root@127.0.0.1:5432/test"


class BackendUnavailable(Exception):
    """The chosen test database backend cannot be used (PostgreSQL down, bad setting)."""


def backend() -> str:
    """The backend of this run, from HUB_TEST_DATABASE; ValueError naming the accepted values otherwise."""
    value = os.environ.get("HUB_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if value not in BACKENDS:
        raise ValueError(f"HUB_TEST_DATABASE={value!r} is not valid: expected sqlite or postgres")
    return value


def postgres_admin_url() -> str:
    """The PostgreSQL URL used to create and drop test databases (HUB_TEST_POSTGRES_URL)."""
    return os.environ.get("HUB_TEST_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_URL


def postgres_required() -> bool:
    """Whether an unreachable PostgreSQL must fail the run instead of skipping (HUB_TEST_REQUIRE_POSTGRES=1)."""
    return os.environ.get("HUB_TEST_REQUIRE_POSTGRES", "").strip().lower() in ("1", "true", "yes", "on")


def postgres_reuse() -> bool:
    """Whether used PostgreSQL databases may be emptied and reused (default) instead of dropped (HUB_TEST_POSTGRES_REUSE=0)."""
    return os.environ.get("HUB_TEST_POSTGRES_REUSE", "1").strip().lower() not in ("0", "false", "no", "off")


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _libpq_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme in ("postgres", "postgresql", "asyncpg") else url


class SqliteDatabases:
    """Fresh SQLite files: empty ones, or copies of one template migrated once."""

    backend = "sqlite"

    def __init__(self, workdir: Path) -> None:
        """Keep the template (and nothing else) under ``workdir``."""
        self.workdir = Path(workdir)
        self._template: Path | None = None

    def template(self) -> Path:
        """The migrated template file, built on first use."""
        if self._template is None:
            path = self.workdir / "template.sqlite3"
            upgrade(f"sqlite://{path}")
            self._template = path
        return self._template

    def create(self, directory: Path, name: str, *, migrated: bool = True) -> str:
        """A new database file ``directory/name.sqlite3``; its tortoise URL."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.sqlite3"
        if migrated:
            shutil.copyfile(self.template(), path)
        else:
            sqlite3.connect(path).close()
        return f"sqlite://{path}"

    def release(self, url: str) -> None:
        """Delete the file (pytest's tmp_path would also do it, later)."""
        path = Path(url[len("sqlite://") :])
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{extra}").unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release: the template lives in pytest's temporary directory."""


# Everything a test could change in a database's schema, as one hash: if it still matches a fresh
# clone's after a test, emptying the tables gives back a database equal to a fresh clone.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
  SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' ' || a.attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL
  SELECT 'typ ' || t.oid::regtype::text
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND t.typtype IN ('e', 'd', 'r', 'm')
  UNION ALL
  SELECT 'nsp ' || nspname FROM pg_namespace
  UNION ALL
  SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension
  UNION ALL
  SELECT 'ver ' || version_num FROM alembic_version
) AS items
"""

TABLE_PARENTS = """
SELECT c.oid::regclass::text, coalesce(array_agg(k.confrelid::regclass::text) FILTER (WHERE k.confrelid <> 0), '{}')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND c.relname <> 'alembic_version'
 GROUP BY c.oid
"""

RESTART_SEQUENCES = "SELECT setval(seqrelid::regclass, seqstart, false) FROM pg_sequence"


class PostgresDatabases:
    """Fresh PostgreSQL databases cloned from a per-session template.

    Every DROP DATABASE forces a checkpoint, which writes and fsyncs every dirty page of the whole
    cluster: on a shared, busy server that took 0.5-2 s per test, more than the tests themselves.
    So, unless ``reuse`` is off (HUB_TEST_POSTGRES_REUSE=0), a used clone is not dropped at teardown
    when nobody is connected to it any more and its schema still hashes like a fresh clone's
    (no DDL, same alembic version): its rows are deleted and its sequences restarted instead
    (a few tens of milliseconds), and the next test gets it. Anything else is dropped. Every
    database left, and the template, is dropped at session end.
    """

    backend = "postgres"

    def __init__(self, admin_url: str, *, reuse: bool = True) -> None:
        """Connect to the admin database (autocommit); BackendUnavailable when the server cannot be reached."""
        self.admin_url = admin_url
        self.reuse = reuse
        self._conn = self._connect("")
        self._prefix = f"causeway_t_{os.getpid()}_"
        self._template_name = f"causeway_tpl_{os.getpid()}"
        self._template_ready = False
        self._counter = itertools.count(1)
        self._created: set[str] = set()
        self._migrated: set[str] = set()
        self._clean: list[str] = []
        self._fingerprint: str | None = None
        self._delete_order: list[str] = []

    def _connect(self, database: str) -> psycopg2.extensions.connection:
        url = with_database(self.admin_url, database) if database else self.admin_url
        try:
            conn = psycopg2.connect(_libpq_url(url), connect_timeout=3)
        except psycopg2.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BackendUnavailable(f"PostgreSQL at {url} is unreachable: {detail}") from exc
        conn.autocommit = True
        return conn

    def _execute(self, statement: sql.Composable) -> None:
        try:
            with self._conn.cursor() as cur:
                cur.execute(statement)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if not self._conn.closed:
                raise
            self._conn = self._connect("")  # the server restarted (tests/integration/test_faults.py): once more
            with self._conn.cursor() as cur:
                cur.execute(statement)

    def _drop(self, name: str) -> None:
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _create(self, name: str, template: str | None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._drop(name)  # left over by a crashed run with the same pid
        self._execute(statement)

    def template(self) -> str:
        """The name of the migrated template database, built on first use."""
        if not self._template_ready:
            self._create(self._template_name, None)
            try:
                upgrade(with_database(self.admin_url, self._template_name))
            except BaseException:
                self._drop(self._template_name)
                raise
            self._template_ready = True
        return self._template_name

    def create(self, directory: Path | None = None, name: str | None = None, *, migrated: bool = True) -> str:
        """A new database (a clone of the template when ``migrated``, else empty); its tortoise URL."""
        if migrated and self._clean:
            return with_database(self.admin_url, self._clean.pop())
        db_name = f"{self._prefix}{next(self._counter)}"
        self._create(db_name, self.template() if migrated else None)
        self._created.add(db_name)
        if migrated:
            self._migrated.add(db_name)
            if self.reuse and self._fingerprint is None:
                self._learn_fresh_clone(db_name)
        return with_database(self.admin_url, db_name)

    def _learn_fresh_clone(self, name: str) -> None:
        conn = self._connect(name)
        try:
            with conn.cursor() as cur:
                cur.execute(SCHEMA_FINGERPRINT)
                self._fingerprint = cur.fetchone()[0]
                cur.execute(TABLE_PARENTS)
                parents = {table: set(refs) for table, refs in cur.fetchall()}
        finally:
            conn.close()
        try:
            self._delete_order = list(reversed(list(graphlib.TopologicalSorter(parents).static_order())))
        except graphlib.CycleError:
            self.reuse = False

    def release(self, url: str) -> None:
        """Done with a database from :meth:`create`: empty it for the next test if it is reusable, else drop it."""
        name = urlsplit(url).path.lstrip("/")
        if self.reuse and name in self._migrated and self._reset(name):
            self._clean.append(name)
            return
        self._drop(name)
        self._created.discard(name)
        self._migrated.discard(name)

    def _reset(self, name: str) -> bool:
        """Delete every row and restart every sequence, if no one else is connected and the schema is untouched."""
        try:
            conn = self._connect(name)
        except BackendUnavailable:
            return False
        try:
            with conn.cursor() as cur:
                if not _alone(cur):
                    return False
                cur.execute(SCHEMA_FINGERPRINT)
                if cur.fetchone()[0] != self._fingerprint:
                    return False
                conn.autocommit = False
                cur.execute("SET LOCAL lock_timeout = '2s'")
                for table in self._delete_order:
                    cur.execute(sql.SQL("DELETE FROM {}").format(sql.SQL(table)))
                cur.execute(RESTART_SEQUENCES)
                conn.commit()
                return True
        except psycopg2.Error:
            return False
        finally:
            conn.close()

    def close(self) -> None:
        """Drop every database still around, then the template, and disconnect."""
        for name in sorted(self._created):
            self._drop(name)
        self._created.clear()
        self._clean.clear()
        if self._template_ready:
            self._drop(self._template_name)
            self._template_ready = False
        self._conn.close()


def _alone(cur: psycopg2.extensions.cursor, wait_seconds: float = 1.0) -> bool:
    """Whether this is the only session on its database, waiting a little for closed ones to go."""
    deadline = time.monotonic() + wait_seconds
    while True:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        if cur.fetchone()[0] == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def open_databases(workdir: Path) -> SqliteDatabases | PostgresDatabases:
    """The database maker for this run's backend (may raise BackendUnavailable for PostgreSQL)."""
    if backend() == "postgres":
        return PostgresDatabases(postgres_admin_url(), reuse=postgres_reuse())
    return SqliteDatabases(workdir)
