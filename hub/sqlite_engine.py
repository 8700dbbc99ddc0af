"""Tortoise's SQLite backend with transactions that take the write lock as they begin (``BEGIN IMMEDIATE``).

SQLite lets one connection write at a time. Tortoise begins its transactions with a plain ``BEGIN``:
the transaction reads first and asks for the write lock only at its first write. If another process
committed in between (``hub serve`` storing an activity while ``hub group follow`` runs on the same
file), SQLite cannot upgrade the older read and answers "database is locked" at once, without the
five seconds' wait it gives a writer that finds the lock taken. ``BEGIN IMMEDIATE`` takes the lock
first, so the transaction waits its turn instead of failing. Within one process nothing changes: the
backend runs every transaction on its single connection, one after another.

Used as the tortoise engine of every ``sqlite://`` database (hub.db); PostgreSQL is untouched.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError


class ImmediateTransaction(SqliteTransactionWrapper):
    """A transaction that holds SQLite's write lock from its first statement."""

    async def begin(self) -> None:
        """Start the transaction with the write lock (waiting for another process's transaction to end)."""
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    """Tortoise's SQLite client, its transactions begun with ``BEGIN IMMEDIATE``."""

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
"""What tortoise looks for in an engine module."""
