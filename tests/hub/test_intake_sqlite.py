"""Tests for hub.intake_sqlite: in an SQLite file the inbox's batches are written in place, never waiting on the loop.

Each test fails if the writer goes back to writing through the ORM (the first three), waits for
another connection's write lock on the event loop or loses the row (the fourth), or lets one bad
row fail its neighbours (the fifth).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from hub import intake, intake_sqlite
from hub.intake import InboxEntry, InboxWriter, write_batch
from hub.intake_sqlite import sqlite_file
from hub.models import InboxItem
from tests import dbsupport

pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(dbsupport.backend() != "sqlite", reason="the writer's own connection is for SQLite files"),
]


def entry(n: int | str, actor: str | None = "https://remote.example/users/ana") -> InboxEntry:
    return InboxEntry(f"https://remote.example/activities/{n}", actor, '{"type": "Create"}')  # type: ignore[arg-type]


@pytest.fixture
def no_orm_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(items: list[InboxEntry]) -> list[bool]:
        raise AssertionError("written through the ORM")

    monkeypatch.setattr(intake, "write_batch", refused)


def raw_times(uri: str) -> tuple[str, str]:
    with sqlite3.connect(sqlite_file()) as connection:
        return connection.execute(
            "SELECT received_at, next_try_at FROM inbox_items WHERE activity_uri = ?", (uri,)
        ).fetchone()


async def test_rows_written_in_place_are_the_rows_the_orm_writes(db) -> None:
    """Same columns, same time text, readable by the ORM; repeats come back False."""
    await write_batch([entry("orm")])
    writer = InboxWriter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(intake, "write_batch", None)  # a write through the ORM would fail: None is not callable
        assert await asyncio.gather(writer.store(entry(1)), writer.store(entry(2)), writer.store(entry(1))) == [True, True, False]
        assert await writer.store(entry("orm")) is False
    writer.close()
    rows = {row.activity_uri.rsplit("/", 1)[1]: row for row in await InboxItem.all()}
    assert set(rows) == {"orm", "1", "2"}
    assert {(r.state, r.tries, r.actor_uri, r.lease_until) for r in rows.values()} == {
        ("pending", 0, "https://remote.example/users/ana", None)}
    assert rows["1"].received_at == rows["1"].next_try_at and rows["1"].received_at.tzinfo is not None
    orm_text, direct_text = raw_times(entry("orm").activity_uri)[0], raw_times(entry(1).activity_uri)[0]
    assert len(orm_text) == len(direct_text) and orm_text[10] == direct_text[10] == " " and orm_text[-6:] == direct_text[-6:]


async def test_concurrent_stores_share_one_statement_in_place(db, no_orm_writes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty POSTs arriving together are one INSERT on the writer's connection; each learns its own outcome."""
    batches: list[int] = []
    real = intake_sqlite.write_rows

    def counted(connection: sqlite3.Connection, items: list[InboxEntry]) -> list[bool]:
        batches.append(len(items))
        return real(connection, items)

    monkeypatch.setattr(intake_sqlite, "write_rows", counted)
    writer = InboxWriter()
    assert await writer.store(entry(5)) is True
    results = await asyncio.gather(*(writer.store(entry(n % 10)) for n in range(20)))
    writer.close()
    assert batches == [1, 20]
    assert results == [n < 10 and n != 5 for n in range(20)]
    assert await InboxItem.all().count() == 10


async def test_the_writer_follows_the_orm_to_another_file(db, fresh_database_url, no_orm_writes) -> None:
    """After the ORM reconnects elsewhere (a test, a restore), rows go to the new file, not the old one."""
    writer = InboxWriter()
    assert await writer.store(entry("first")) is True
    import hub.db

    await hub.db.disconnect()
    await hub.db.connect(fresh_database_url())
    assert await writer.store(entry("first")) is True
    writer.close()
    assert await InboxItem.all().values_list("activity_uri", flat=True) == [entry("first").activity_uri]


async def test_a_locked_file_is_written_through_the_orm_while_the_loop_runs_on(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection holds the write lock: the loop is not held up, and the row is stored once the lock is free."""
    through_orm: list[int] = []
    real = intake.write_batch

    async def counted(items: list[InboxEntry]) -> list[bool]:
        through_orm.append(len(items))
        return await real(items)

    monkeypatch.setattr(intake, "write_batch", counted)
    assert await InboxItem.all().count() == 0  # the ORM's connection is open, as in a running hub
    holder = sqlite3.connect(sqlite_file(), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    writer = InboxWriter()
    store = asyncio.create_task(writer.store(entry("locked")))
    started = time.perf_counter()
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert time.perf_counter() - started < 1.0, "the event loop waited for the lock"
    assert not store.done()
    holder.execute("COMMIT")
    holder.close()
    assert await asyncio.wait_for(store, 10) is True
    writer.close()
    assert through_orm == [1]
    assert await InboxItem.filter(activity_uri=entry("locked").activity_uri).count() == 1


async def test_a_row_the_database_refuses_fails_alone_in_place(db, no_orm_writes) -> None:
    """A row without its actor breaks the NOT NULL rule: its request gets the error, its neighbours are stored."""
    writer = InboxWriter()
    results = await asyncio.gather(
        writer.store(entry("a")), writer.store(entry("bad", actor=None)), writer.store(entry("c")), return_exceptions=True
    )
    writer.close()
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert sorted(await InboxItem.all().values_list("activity_uri", flat=True)) == [entry("a").activity_uri, entry("c").activity_uri]
