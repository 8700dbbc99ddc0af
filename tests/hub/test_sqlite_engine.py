"""Tests for hub.sqlite_engine: a transaction holds SQLite's write lock from its start, so another process's
commit cannot slip in between its read and its write (which made the write fail with "database is locked")."""

from __future__ import annotations

import sqlite3

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from hub.db import sqlite_path
from hub.models import Account
from hub.sqlite_engine import ImmediateSqliteClient

pytestmark = pytest.mark.db


def other_process(database_url: str) -> sqlite3.Connection:
    """A connection of its own, as another process (the CLI beside ``hub serve``) has, waiting 0.2 s for locks."""
    path = sqlite_path(database_url)
    if path is None:
        pytest.skip("SQLite only: PostgreSQL locks rows, not the database")
    return sqlite3.connect(path, timeout=0.2, isolation_level=None)


async def test_another_writer_waits_for_a_transaction_that_has_read(db, database_url: str) -> None:
    """A transaction reads, another connection tries to commit a write meanwhile and is kept waiting (it gives up
    after its 0.2 s), and the transaction's own write then succeeds; with a plain BEGIN the other commit got in
    and the transaction's write failed."""
    other = other_process(database_url)
    assert isinstance(connections.get("default"), ImmediateSqliteClient)
    try:
        async with in_transaction():
            assert await Account.filter(uri="https://a.example/users/alice").count() == 0
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("CREATE TABLE other_process_was_here (x INTEGER)")
            await Account.create(uri="https://a.example/users/alice")
        assert await Account.filter(uri="https://a.example/users/alice").exists()
        other.execute("CREATE TABLE other_process_was_here (x INTEGER)")  # its turn, once the transaction ended
    finally:
        other.close()
