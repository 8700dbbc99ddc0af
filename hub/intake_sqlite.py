"""Storing received activities in an SQLite file: each batch written at once, on the event loop's own thread.

Through the ORM a batch went to the ORM's SQLite thread and back: four turns of the event loop and
a thread hand-off per batch. Under load the two threads took turns holding the interpreter, so the
thread's work added to the loop's instead of running beside it (the inbox reached 0.60× the
verify-only endpoint; issue 20.5, bench/RESULTS.md). A batch of a few dozen rows takes a few
hundred microseconds to write, less than those hand-offs: here it is written in place, on a
connection of its own to the same file, committed before any of its requests is answered.

This connection never waits: when another connection holds the write lock (a transaction of the
worker's, a ``hub`` command), SQLite answers "busy" at once and :meth:`DirectSqlite.write` returns
None; the caller then writes that batch through the ORM, which waits its turn on its own thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol

from tortoise import connections

from hub.clock import now
from hub.models import InboxItem

COLUMNS = ("activity_uri", "actor_uri", "body", "state", "tries", "next_try_at", "received_at")
CONFLICT = "ON CONFLICT (activity_uri) DO NOTHING RETURNING activity_uri"
"""Rows whose id is known are skipped; the statement returns the ids it stored."""
BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class Entry(Protocol):
    """A row to store (hub.intake.InboxEntry)."""

    activity_uri: str
    actor_uri: str
    body: str


def sqlite_insert(rows: int) -> str:
    """An INSERT of ``rows`` rows (preparing it is in-process and cheap)."""
    values = ", ".join(["(?, ?, ?, 'pending', 0, ?, ?)"] * rows)
    return f"INSERT INTO {InboxItem._meta.db_table} ({', '.join(COLUMNS)}) VALUES {values} {CONFLICT}"


def sqlite_file() -> str | None:
    """The SQLite file the ORM is connected to; None on PostgreSQL and in-memory SQLite (a second connection would not see it)."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite":
        return None
    filename = getattr(connection, "filename", "")
    return None if filename in ("", ":memory:") or filename.startswith("file::memory:") else filename


class DirectSqlite:
    """A connection of its own to the ORM's SQLite file, for writing batches in place without waiting."""

    def __init__(self) -> None:
        self._connection: sqlite3.Connection | None = None
        self._path: str | None = None

    def write(self, items: Sequence[Entry]) -> list[bool] | None:
        """Insert ``items`` in one statement: for each, whether it was new. None when this cannot write here and
        now (not an SQLite file; another connection holds the write lock): the caller writes them through the ORM.
        A row the database refuses raises its error."""
        path = sqlite_file()
        if path is None:
            return None
        if path != self._path:
            self.close()
            self._connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
            self._connection.execute("PRAGMA synchronous=NORMAL")  # as the ORM's connection (hub.db)
            self._path = path
        try:
            return write_rows(self._connection, items)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in BUSY:
                return None
            raise

    def close(self) -> None:
        """Close the connection (a later write opens a new one)."""
        connection, self._connection, self._path = self._connection, None, None
        if connection is not None:
            connection.close()


def write_rows(connection: sqlite3.Connection, items: Sequence[Entry]) -> list[bool]:
    """Insert ``items`` in one statement (committed as it ends), skipping known ids; for each, whether it was new."""
    moment = now().isoformat(" ")  # the text sqlite3 makes of a datetime, as the ORM's path stores it
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(item.activity_uri, index)
    values: list[object] = []
    for index in first.values():
        item = items[index]
        values += (item.activity_uri, item.actor_uri, item.body, moment, moment)
    stored = {row[0] for row in connection.execute(sqlite_insert(len(first)), values).fetchall()}
    return [first[item.activity_uri] == index and item.activity_uri in stored for index, item in enumerate(items)]
