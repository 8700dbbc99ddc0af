"""``hub backup PATH``: a consistent snapshot of a running hub — database, media and key file — in one archive.

The archive is a gzip-compressed tar file holding, in this order:

- ``secret.key`` — the hub's secret (sessions, CSRF); group and instance keys live in the database;
- ``media/<name>`` — every uploaded image, copied before the database snapshot…;
- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the hub keeps writing) or
  ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom --no-owner --no-privileges``, one
  consistent snapshot, connection details passed in ``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/
  ``PGDATABASE`` so the password never shows in the process list);
- ``media/<name>`` — …and the images written while the snapshot was taken (files are written whole
  under their final name and never changed, so every image the snapshot names is in the archive);
- ``manifest.json`` last: format version, schema revision, database kind, domain, and the size and
  SHA-256 of every file. An archive cut short has no manifest or fails a checksum, and
  ``hub restore`` (hub.restore) refuses it.

The archive is written to ``PATH.partial`` and renamed when complete, so a backup that was
interrupted never looks like one that finished. The hub keeps serving throughout.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2

from hub.db import sqlite_path
from hub.sealed_archive import ArchiveWriter, written
from hub.secret import SECRET_FILE
from hub.services.media import MEDIA_DIR, NAME_RE
from hub.settings import Settings

FORMAT = "causeway-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
PG_DUMP_ARGS = ["--format=custom", "--no-owner", "--no-privileges"]
"""How ``pg_dump`` is called (with the connection in PG* variables) — README "Backups" shows the same call."""


class BackupError(Exception):
    """The backup could not be written; the message says why and what to do."""


@dataclass
class Summary:
    """What an archive holds, for the command's last line and for restore."""

    database: str
    schema_revision: str
    groups: int
    media: int = 0
    files: dict[str, dict] = field(default_factory=dict)


def pg_environment(database_url: str) -> dict[str, str]:
    """libpq's PG* variables for a postgres:// URL (pg_dump, pg_restore), so no password is on a command line."""
    parts = urlsplit(database_url)
    env = {"PGHOST": parts.hostname or "127.0.0.1", "PGPORT": str(parts.port or 5432),
           "PGDATABASE": unquote(parts.path.lstrip("/"))}
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def psycopg_dsn(database_url: str) -> str:
    """The URL in the form psycopg2 accepts."""
    return "postgresql://" + database_url.split("://", 1)[1].split("?", 1)[0]



def run_tool(args: list[str], database_url: str, what: str) -> None:
    """Run pg_dump/pg_restore with the database's PG* variables; BackupError with its message when it fails."""
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed; install PostgreSQL's client tools (Debian: apt-get install postgresql-client)")
    result = subprocess.run(args, env={**os.environ, **pg_environment(database_url)}, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        raise BackupError(f"{what} failed: {detail}")


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one step: one consistent read transaction)."""
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist; check HUB_DATABASE_URL")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as live, \
            closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def _sqlite_facts(path: Path) -> tuple[str, int]:
    """The schema revision and group count of a SQLite snapshot."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            groups = conn.execute("SELECT COUNT(*) FROM groups").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the database has no Causeway schema ({exc}); run `hub migrate` first") from None
    if revision is None:
        raise BackupError("the database has no schema revision; run `hub migrate` first")
    return revision[0], groups


def _postgres_facts(database_url: str) -> tuple[str, int]:
    """The schema revision and group count of a PostgreSQL database."""
    try:
        with closing(psycopg2.connect(psycopg_dsn(database_url), connect_timeout=10)) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT version_num FROM alembic_version")
            revision = cursor.fetchone()
            cursor.execute("SELECT COUNT(*) FROM groups")
            groups = cursor.fetchone()[0]
    except psycopg2.Error as exc:
        raise BackupError(f"cannot read the database: {str(exc).strip().splitlines()[0]}") from None
    if revision is None:
        raise BackupError("the database has no schema revision; run `hub migrate` first")
    return revision[0], groups


def _add_media(writer: ArchiveWriter, directory: Path) -> int:
    """Add the media files not added yet; returns how many were added."""
    added = 0
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        name = f"{MEDIA_DIR}/{path.name}"
        if NAME_RE.match(path.name) and name not in writer.files:
            try:
                writer.add(path, name)
            except FileNotFoundError:  # replaced (an avatar change) while we looked: no longer referenced
                continue
            added += 1
    return added


def write_backup(settings: Settings, path: Path) -> Summary:
    """Write the archive of the hub described by ``settings`` to ``path`` (which must not exist)."""
    database = "sqlite" if settings.is_sqlite else "postgres"
    data_dir = Path(settings.data_dir)
    with written(path, BackupError, "backup") as writer:
        with tempfile.TemporaryDirectory(prefix="causeway-backup-") as scratch:
            if (data_dir / SECRET_FILE).is_file():
                writer.add(data_dir / SECRET_FILE, SECRET_FILE, mode=0o600)
            _add_media(writer, data_dir / MEDIA_DIR)
            if database == "sqlite":
                snapshot = Path(scratch) / SQLITE_MEMBER
                _sqlite_snapshot(sqlite_path(settings.database_url), snapshot)
                revision, groups = _sqlite_facts(snapshot)
            else:
                revision, groups = _postgres_facts(settings.database_url)
                snapshot = Path(scratch) / PGDUMP_MEMBER
                run_tool(["pg_dump", *PG_DUMP_ARGS, f"--file={snapshot}"], settings.database_url, "pg_dump")
            writer.add(snapshot, snapshot.name)
            _add_media(writer, data_dir / MEDIA_DIR)
            summary = Summary(database, revision, groups, sum(n.startswith(MEDIA_DIR + "/") for n in writer.files), writer.files)
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "domain": settings.domain, "database": database, "schema_revision": revision, "groups": groups,
                "files": writer.files,
            }
            writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode(), mode=0o644, listed=False)
    return summary
