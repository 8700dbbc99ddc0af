"""Storing received activities in an SQLite file: each batch written at once, on the event loop's own thread.

Through the ORM a batch went to the ORM's SQLite thread and back: four turns of the event loop and
a thread hand-off per batch. Under load the two threads took turns holding the interpreter, so the
thread's work added to the loop's instead of running beside it (the inbox reached 0.60× the
verify-only endpoint; issue 20.5, bench/RESULTS.md). A batch of a few dozen rows takes a few
hundred microseconds to write, less than those hand-offs: here it is written in place, on a
connection of its own to the same file, committed before any of its requests is answered.

This connection never waits: when another connection holds the write lock (a transaction of the
worker's, a ``hub`` command, a checkpoint), SQLite answers "busy" at once and
:meth:`DirectSqlite.write` returns None; the caller then writes that batch through the ORM, which
waits its turn on its own thread. Batches of more than 256 KiB of bodies go through the ORM too,
and the WAL is checkpointed on the ORM's thread, so that the event loop never spends more than a
few milliseconds here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

from tortoise import connections

from hub.clock import now
from hub.models import InboxItem

COLUMNS = ("activity_uri", "actor_uri", "body", "state", "tries", "next_try_at", "received_at")
CONFLICT = "ON CONFLICT (activity_uri) DO NOTHING RETURNING activity_uri"
"""Rows whose id is known are skipped; the statement returns the ids it stored."""
BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
MAX_IN_PLACE = 256 * 1024
"""Characters of bodies a batch written in place holds at most: a few milliseconds of the event loop.
Bigger batches (big activities, or many gathered while another connection held the lock) go through the ORM."""
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""Characters of bodies written in place between two checkpoints of the WAL, made on the ORM's thread
(a checkpoint writes the database file and syncs it: milliseconds, not for the event loop)."""
UNSET_PRAGMAS = frozenset({"journal_mode", "busy_timeout", "locking_mode"})
"""The ORM's settings this connection does not take: the file's journal mode is the ORM's to set, and
this connection never waits for a lock nor keeps one."""


class Entry(Protocol):
    """A row to store (hub.intake.InboxEntry)."""

    activity_uri: str
    actor_uri: str
    body: str


def sqlite_insert(rows: int) -> str:
    """An INSERT of ``rows`` rows (preparing it is in-process and cheap)."""
    values = ", ".join(["(?, ?, ?, 'pending', 0, ?, ?)"] * rows)
    return f"INSERT INTO {InboxItem._meta.db_table} ({', '.join(COLUMNS)}) VALUES {values} {CONFLICT}"


def orm_sqlite() -> Any | None:
    """The ORM's client of an SQLite file; None on PostgreSQL and in-memory SQLite (a second connection would not see it)."""
    client = connections.get("default")
    if client.capabilities.dialect != "sqlite":
        return None
    filename = getattr(client, "filename", "")
    return None if filename in ("", ":memory:") or filename.startswith("file::memory:") else client


class DirectSqlite:
    """A connection of its own to the ORM's SQLite file, for writing batches in place without waiting."""

    def __init__(self) -> None:
        self._connection: sqlite3.Connection | None = None
        self._client: Any | None = None
        self._unchecked = 0
        """Characters of bodies written in place since the last checkpoint was asked for."""

    def write(self, items: Sequence[Entry]) -> list[bool] | None:
        """Insert ``items`` in one statement: for each, whether it was new.

        None when this cannot write them here and now, and the caller writes them through the ORM: not an
        SQLite file, bodies longer than :data:`MAX_IN_PLACE` together, another connection holding the
        write lock. A row the database refuses raises its error.
        """
        client = orm_sqlite()
        if client is None or sum(len(item.body) for item in items) > MAX_IN_PLACE:
            return None
        if client is not self._client:  # connected anew (a restart of the ORM, another file): so are we
            self.close()
            self._connection = _open(client)
            self._client = client
        try:
            written = write_rows(self._connection, items)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in BUSY:
                return None
            self.close()  # the next batch opens the file again
            raise
        self._unchecked += sum(len(item.body) for item in items)
        return written

    def checkpoint_due(self) -> bool:
        """Whether :data:`CHECKPOINT_BYTES` of bodies were written in place since the last time this said so."""
        if self._unchecked < CHECKPOINT_BYTES:
            return False
        self._unchecked = 0
        return True

    def close(self) -> None:
        """Close the connection (a later write opens a new one)."""
        connection, self._connection, self._client = self._connection, None, None
        if connection is not None:
            connection.close()


def _open(client: Any) -> sqlite3.Connection:
    """A connection to ``client``'s file with its settings (hub.db: ``synchronous``; tortoise's own; an operator's in
    the database URL), except that it never waits for a lock and never checkpoints the WAL on the event loop."""
    connection = sqlite3.connect(client.filename, timeout=0, isolation_level=None, check_same_thread=False)
    for pragma, value in client.pragmas.items():
        if pragma not in UNSET_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}={value}")
    connection.execute("PRAGMA busy_timeout=0")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    return connection


def write_rows(connection: sqlite3.Connection, items: Sequence[Entry]) -> list[bool]:
    """Insert ``items`` in one statement (committed as it ends), skipping known ids; for each, whether it was new."""
    first = first_of_each(items)
    statement, values = sqlite_insert_of(items, first)
    return outcomes(items, first, {row[0] for row in connection.execute(statement, values).fetchall()})


def first_of_each(items: Sequence[Entry]) -> dict[str, int]:
    """Each activity id of ``items`` and the index of its first row: only that row is inserted."""
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(item.activity_uri, index)
    return first


def sqlite_insert_of(items: Sequence[Entry], first: dict[str, int]) -> tuple[str, list[object]]:
    """The SQLite INSERT of the ``first`` rows of ``items``, received now, and its values."""
    moment = now().isoformat(" ")  # the text sqlite3 itself makes of a datetime
    values: list[object] = []
    for index in first.values():
        item = items[index]
        values += (item.activity_uri, item.actor_uri, item.body, moment, moment)
    return sqlite_insert(len(first)), values


def outcomes(items: Sequence[Entry], first: dict[str, int], stored: set[str]) -> list[bool]:
    """For each of ``items``, whether it was new: its id among the ``stored`` ones, and the id's first row."""
    return [first[item.activity_uri] == index and item.activity_uri in stored for index, item in enumerate(items)]
