"""Tests for hub.intake_sqlite: in an SQLite file the inbox's batches are written in place, never waiting on the loop.

The tests fail if the writer goes back to writing through the ORM, ignores the ORM's settings,
writes big batches or checkpoints on the event loop, waits there for another connection's write
lock or loses the row, keeps writing to a file the ORM left, or lets one bad row fail its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

import hub.db
from hub import intake, intake_sqlite
from hub.intake import InboxEntry, InboxWriter, write_batch
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


@pytest.fixture
async def writer() -> AsyncIterator[InboxWriter]:
    made = InboxWriter()
    try:
        yield made
    finally:
        await made.close()


def sqlite_file() -> str:
    return intake_sqlite.orm_sqlite().filename


def raw_times(uri: str) -> tuple[str, str]:
    with contextlib.closing(sqlite3.connect(sqlite_file())) as connection:
        return connection.execute(
            "SELECT received_at, next_try_at FROM inbox_items WHERE activity_uri = ?", (uri,)
        ).fetchone()


TIME_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00")


async def test_rows_written_in_place_are_the_rows_the_orm_writes(db, writer: InboxWriter) -> None:
    """Same columns, same time text, readable by the ORM; repeats come back False."""
    await write_batch([entry("orm")])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(intake, "write_batch", None)  # a write through the ORM would fail: None is not callable
        assert await asyncio.gather(writer.store(entry(1)), writer.store(entry(2)), writer.store(entry(1))) == [True, True, False]
        assert await writer.store(entry("orm")) is False
    rows = {row.activity_uri.rsplit("/", 1)[1]: row for row in await InboxItem.all()}
    assert set(rows) == {"orm", "1", "2"}
    assert {(r.state, r.tries, r.actor_uri, r.lease_until) for r in rows.values()} == {
        ("pending", 0, "https://remote.example/users/ana", None)}
    assert rows["1"].received_at == rows["1"].next_try_at and rows["1"].received_at.tzinfo is not None
    for uri, row in ((entry("orm").activity_uri, rows["orm"]), (entry(1).activity_uri, rows["1"])):
        received, next_try = raw_times(uri)
        assert TIME_TEXT.fullmatch(received) and received == next_try
        assert datetime.fromisoformat(received) == row.received_at


async def test_the_connection_has_the_orms_settings_but_never_waits(db, database_url: str, writer: InboxWriter) -> None:
    """An operator's synchronous=FULL, foreign keys and the WAL's size limit as the ORM's connection has them; an
    operator's busy_timeout does not make the event loop wait, and checkpoints are left to the ORM's thread."""
    await hub.db.disconnect()
    await hub.db.connect(f"{database_url}?synchronous=FULL&busy_timeout=3000")
    assert await writer.store(entry(1)) is True
    client = intake_sqlite.orm_sqlite()
    connection = writer._direct._connection
    for pragma in ("synchronous", "foreign_keys", "journal_size_limit"):
        [[ours]] = connection.execute(f"PRAGMA {pragma}").fetchall()
        orm = list((await client.execute_query_dict(f"PRAGMA {pragma}"))[0].values())[0]
        assert ours == orm, pragma
    assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL, as asked
    assert connection.execute("PRAGMA busy_timeout").fetchone() == (0,)
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)


async def test_concurrent_stores_share_one_statement_in_place(
    db, no_orm_writes, writer: InboxWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty POSTs arriving together are one INSERT on the writer's connection; each learns its own outcome."""
    batches: list[int] = []
    real = intake_sqlite.write_rows

    def counted(connection: sqlite3.Connection, items: list[InboxEntry]) -> list[bool]:
        batches.append(len(items))
        return real(connection, items)

    monkeypatch.setattr(intake_sqlite, "write_rows", counted)
    assert await writer.store(entry(5)) is True
    results = await asyncio.gather(*(writer.store(entry(n % 10)) for n in range(20)))
    assert batches == [1, 20]
    assert results == [n < 10 and n != 5 for n in range(20)]
    assert await InboxItem.all().count() == 10


async def test_the_writer_follows_the_orm_to_another_file(db, fresh_database_url, no_orm_writes, writer: InboxWriter) -> None:
    """After the ORM reconnects elsewhere, rows go to the new file, not the old one."""
    assert await writer.store(entry("first")) is True
    await hub.db.disconnect()
    await hub.db.connect(fresh_database_url())
    assert await writer.store(entry("first")) is True
    assert await InboxItem.all().values_list("activity_uri", flat=True) == [entry("first").activity_uri]


async def test_the_writer_opens_the_file_again_when_the_orm_does(db, database_url: str, no_orm_writes, writer: InboxWriter) -> None:
    """A reconnection of the ORM to the same path (a file put in place meanwhile) makes the writer open it anew too."""
    assert await writer.store(entry("before")) is True
    first = writer._direct._connection
    await hub.db.disconnect()
    await hub.db.connect(database_url)
    assert await writer.store(entry("after")) is True
    assert writer._direct._connection is not first
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # closed, not left open on the old file


async def test_big_batches_go_through_the_orm(db, writer: InboxWriter, through_orm: list[int]) -> None:
    """Bodies longer than MAX_IN_PLACE together are not written on the event loop."""
    big = "x" * (intake_sqlite.MAX_IN_PLACE // 2)
    bodies = [f'{{"type": "Create", "pad": "{big}"}}' for _ in range(3)]
    items = [InboxEntry(f"https://remote.example/activities/big{n}", "https://remote.example/users/ana", body)
             for n, body in enumerate(bodies)]
    assert await asyncio.gather(*(writer.store(item) for item in items)) == [True, True, True]
    assert through_orm == [3]
    assert await writer.store(entry("small")) is True
    assert through_orm == [3]
    assert [len(b) for b in await InboxItem.filter(activity_uri__contains="/big").values_list("body", flat=True)] == [len(bodies[0])] * 3


async def test_the_wal_is_checkpointed_on_the_orms_thread(db, writer: InboxWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CHECKPOINT_BYTES of bodies written in place, one checkpoint through the ORM that copies the whole WAL."""
    monkeypatch.setattr(intake_sqlite, "CHECKPOINT_BYTES", 3 * len(entry(0).body))
    for n in range(2):
        assert await writer.store(entry(n)) is True
    assert writer._checkpoint is None
    assert await writer.store(entry(2)) is True
    assert writer._checkpoint is not None
    busy, frames, copied = await asyncio.wait_for(writer._checkpoint, 10)
    assert busy == 0 and frames == copied
    assert await writer.store(entry(3)) is True  # the WAL started afresh: the next row is written in place again
    assert writer._direct._unchecked == len(entry(3).body)


async def test_a_checkpoint_under_way_ends_before_the_writer_closes(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """close() lets a running checkpoint finish rather than leaving it to a closed connection."""
    release = asyncio.Event()
    ended: list[bool] = []

    async def slow() -> None:
        await release.wait()
        ended.append(True)

    made = InboxWriter()
    made._checkpoint = asyncio.create_task(slow())
    closing = asyncio.create_task(made.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, 5)
    assert ended == [True]


async def test_a_locked_file_is_written_through_the_orm_while_the_loop_runs_on(
    db, writer: InboxWriter, through_orm: list[int]
) -> None:
    """Another connection holds the write lock: the loop is not held up, and the row is stored once the lock is free."""
    assert await InboxItem.all().count() == 0  # the ORM's connection is open, as in a running hub
    with contextlib.closing(sqlite3.connect(sqlite_file(), isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        store = asyncio.create_task(writer.store(entry("locked")))
        longest, last = 0.0, time.perf_counter()
        for _ in range(30):
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
        assert longest < 0.5, f"the event loop stood still {longest:.3f} s waiting for the lock"
        assert not store.done()
        holder.execute("COMMIT")
    assert await asyncio.wait_for(store, 10) is True
    assert through_orm == [1]
    assert await InboxItem.filter(activity_uri=entry("locked").activity_uri).count() == 1


async def test_a_row_the_database_refuses_fails_alone_in_place(db, no_orm_writes, writer: InboxWriter) -> None:
    """A row without its actor breaks the NOT NULL rule: its request gets the error, its neighbours are stored."""
    results = await asyncio.gather(
        writer.store(entry("a")), writer.store(entry("bad", actor=None)), writer.store(entry("c")), return_exceptions=True
    )
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert sorted(await InboxItem.all().values_list("activity_uri", flat=True)) == [entry("a").activity_uri, entry("c").activity_uri]
