"""``hub restore PATH``: bring back a hub from a ``hub backup`` archive into an empty data directory and database.

Everything is checked before anything is changed:

1. the target is empty — ``HUB_DATA_DIR`` has no files, the SQLite file does not exist (or is
   empty), the PostgreSQL database has no tables — and is of the kind the archive holds;
2. the archive reads to its end, holds only the files it may hold (no links, no paths outside),
   its ``manifest.json`` is of a known format, every file's size and SHA-256 match it, and its
   schema revision is one this Causeway knows (an archive from a newer Causeway is refused);
3. a SQLite snapshot passes ``PRAGMA quick_check``.

Then the database is put in place (SQLite: the file is renamed into place; PostgreSQL:
``pg_restore --single-transaction --exit-on-error --no-owner --no-privileges --dbname=DB``, the
connection in PG* variables: all or nothing), the key file and media are
moved into the data directory, and ``hub migrate`` brings an older schema up to date. A refusal
or a failure leaves the target as it was (files staged under the data directory are removed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg2

from hub import migrations
from hub.backup import (
    FORMAT, FORMAT_VERSION, MANIFEST, PGDUMP_MEMBER, SQLITE_MEMBER, BackupError, pg_environment, psycopg_dsn, run_tool,
)
from hub.db import sqlite_path
from hub.sealed_archive import CHUNK, check_files, checked_manifest, read_through
from hub.secret import SECRET_FILE
from hub.services.media import MEDIA_DIR, NAME_RE
from hub.settings import Settings

PG_RESTORE_ARGS = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]


class RestoreError(BackupError):
    """The archive or the target was refused; nothing was changed."""


@dataclass(frozen=True)
class Restored:
    """What was brought back."""

    domain: str
    created_at: str
    schema_revision: str
    groups: int
    media: int


def _allowed(name: str) -> bool:
    if name in (MANIFEST, SECRET_FILE, SQLITE_MEMBER, PGDUMP_MEMBER):
        return True
    folder, _, file = name.partition("/")
    return folder == MEDIA_DIR and NAME_RE.match(file) is not None


def known_revisions() -> set[str]:
    """Every schema revision this Causeway's alembic directory holds."""
    from alembic.script import ScriptDirectory  # alembic adds ~0.3 s to every `hub` command (as hub.migrations)

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def check_target(settings: Settings) -> None:
    """RestoreError unless the data directory and the database are empty."""
    data_dir = Path(settings.data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        names = ", ".join(sorted(p.name for p in data_dir.iterdir())[:5])
        raise RestoreError(f"HUB_DATA_DIR {data_dir} is not empty ({names}); restore only into an empty directory")
    database = sqlite_path(settings.database_url)
    if settings.is_sqlite:
        if database is None:
            raise RestoreError("HUB_DATABASE_URL names an in-memory SQLite database; give it a file path")
        if database.exists() and database.stat().st_size > 0:
            raise RestoreError(f"the database file {database} already exists; restore only into a new database")
        return
    try:
        with closing(psycopg2.connect(psycopg_dsn(settings.database_url), connect_timeout=10)) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")
            tables = [row[0] for row in cursor.fetchall()]
    except psycopg2.Error as exc:
        raise RestoreError(f"cannot reach the database: {str(exc).strip().splitlines()[0]}") from None
    if tables:
        raise RestoreError(f"the database already has tables ({', '.join(tables[:5])}); restore only into an empty database")


def _read_archive(path: Path, staging: Path) -> dict:
    """Extract the archive's files into ``staging`` and return its manifest, checked against them."""
    digests: dict[str, tuple[int, str]] = {}
    manifest_bytes: list[bytes] = []

    def take(member: tarfile.TarInfo, source: IO[bytes] | None) -> None:
        if source is None or not member.isfile() or not _allowed(member.name) or member.name in digests:
            raise RestoreError(f"{path} holds {member.name!r}, which no Causeway backup holds; refusing it")
        if member.name == MANIFEST:
            manifest_bytes.append(source.read(1024 * 1024 * 16))
            return
        target = staging / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        mode = 0o644 if member.name.startswith(MEDIA_DIR + "/") else 0o600  # the key file and the keys in the database
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        digests[member.name] = (size, digest.hexdigest())

    read_through(path, take, RestoreError, "backup archive")
    manifest = checked_manifest(manifest_bytes[0] if manifest_bytes else None, path, format_name=FORMAT,
                                version=FORMAT_VERSION, error=RestoreError, what="backup",
                                advice="restore it with the Causeway that made it")
    check_files(manifest, digests, path, RestoreError, "it is damaged")
    return manifest


def _check_manifest(manifest: dict, settings: Settings) -> None:
    revision = manifest.get("schema_revision")
    if revision not in known_revisions():
        raise RestoreError(f"the backup's database schema ({revision}) is newer than this Causeway knows; "
                           "install the Causeway version that made it (or a newer one), then restore")
    database = manifest.get("database")
    wanted = "sqlite" if settings.is_sqlite else "postgres"
    member = SQLITE_MEMBER if database == "sqlite" else PGDUMP_MEMBER
    if database != wanted or member not in manifest["files"]:
        raise RestoreError(f"the backup holds a {database} database but HUB_DATABASE_URL names a {wanted} one; "
                           f"restore into a {database} database")


def _check_sqlite(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"the backup's database is damaged: {exc}") from None
    if result != "ok":
        raise RestoreError(f"the backup's database is damaged: {result}")


def _place_database(settings: Settings, staging: Path) -> None:
    if settings.is_sqlite:
        target = sqlite_path(settings.database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        moving = target.with_name(f".{target.name}.restoring")
        shutil.copy(staging / SQLITE_MEMBER, moving)
        os.replace(moving, target)
    else:
        database = pg_environment(settings.database_url)["PGDATABASE"]
        run_tool(["pg_restore", *PG_RESTORE_ARGS, f"--dbname={database}", str(staging / PGDUMP_MEMBER)],
                 settings.database_url, "pg_restore")


def restore_backup(settings: Settings, path: Path) -> Restored:
    """Restore the archive at ``path`` into the (empty) data directory and database of ``settings``."""
    check_target(settings)
    data_dir = Path(settings.data_dir)
    created_dir = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    placed: list[Path] = []
    try:
        manifest = _read_archive(path, staging)
        _check_manifest(manifest, settings)
        if settings.is_sqlite:
            _check_sqlite(staging / SQLITE_MEMBER)
        _place_database(settings, staging)
        if settings.is_sqlite:
            placed.append(sqlite_path(settings.database_url))
        for name in (SECRET_FILE, MEDIA_DIR):
            if (staging / name).exists():
                os.replace(staging / name, data_dir / name)
                placed.append(data_dir / name)
        shutil.rmtree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for item in placed:
            shutil.rmtree(item) if item.is_dir() else item.unlink(missing_ok=True)
        if created_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    migrations.upgrade(settings.database_url)
    media = sum(name.startswith(MEDIA_DIR + "/") for name in manifest["files"])
    return Restored(manifest.get("domain", ""), manifest.get("created_at", ""), manifest["schema_revision"],
                    int(manifest.get("groups", 0)), media)
