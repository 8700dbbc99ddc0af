"""Tests for hub.intake: received activities stored with group commit, each id once, no row lost to a neighbour.

The batching tests write through the ORM (``direct=False``), on both databases; the tests of the
writer's own SQLite connection are in tests/hub/test_intake_sqlite.py.
"""

from __future__ import annotations

import asyncio

import pytest

from hub import intake
from hub.intake import InboxEntry, InboxWriter, write_batch
from hub.models import InboxItem

pytestmark = pytest.mark.db


def entry(n: int | str, body: str = '{"type": "Create"}') -> InboxEntry:
    return InboxEntry(f"https://remote.example/activities/{n}", "https://remote.example/users/ana", body)


async def test_write_batch_stores_new_ids_and_reports_known_ones(db) -> None:
    """One statement stores the new ids; repeats (in the batch or already stored) come back False."""
    assert await write_batch([entry(1), entry(2), entry(1)]) == [True, True, False]
    assert await write_batch([entry(2), entry(3)]) == [False, True]
    rows = await InboxItem.all().order_by("id")
    assert [r.activity_uri.rsplit("/", 1)[1] for r in rows] == ["1", "2", "3"]
    assert {(r.state, r.tries, r.actor_uri) for r in rows} == {("pending", 0, "https://remote.example/users/ana")}
    assert all(r.next_try_at == r.received_at and r.lease_until is None for r in rows)


async def test_write_batch_keeps_bodies_exactly(db) -> None:
    """Bodies go in as sent: quotes, backslashes and non-ASCII survive the hand-written INSERT."""
    body = '{"content": "l\'été \\"chaud\\" — ✊ \\\\ ?"}'
    await write_batch([entry("b", body)])
    assert (await InboxItem.get(activity_uri=entry("b").activity_uri)).body == body


async def test_concurrent_stores_share_one_statement(db, through_orm: list[int]) -> None:
    """Twenty POSTs arriving together are written by one INSERT, and each learns its own outcome."""
    batches = through_orm
    await write_batch([entry(5)])
    writer = InboxWriter(direct=False)
    results = await asyncio.gather(*(writer.store(entry(n % 10)) for n in range(20)))
    assert batches == [20]
    assert results == [n < 10 and n != 5 for n in range(20)]
    assert await InboxItem.all().count() == 10


async def test_a_row_the_database_refuses_fails_alone(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a batch fails, its rows are written one by one: only the bad one gets the error."""
    real = intake.write_batch

    async def refusing(items: list[InboxEntry]) -> list[bool]:
        if any(item.activity_uri.endswith("/bad") for item in items):
            raise RuntimeError("value refused by the database")
        return await real(items)

    monkeypatch.setattr(intake, "write_batch", refusing)
    writer = InboxWriter(direct=False)
    results = await asyncio.gather(*(writer.store(entry(n)) for n in ("a", "bad", "c")), return_exceptions=True)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], RuntimeError)
    assert sorted(await InboxItem.all().values_list("activity_uri", flat=True)) == [entry("a").activity_uri, entry("c").activity_uri]


async def test_rows_arriving_during_a_write_go_in_the_next_batch(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing waits for a timer: a lone row is written at once, later ones gather behind the write in flight."""
    batches: list[list[str]] = []
    real = intake.write_batch
    release = asyncio.Event()

    async def slow(items: list[InboxEntry]) -> list[bool]:
        batches.append([i.activity_uri.rsplit("/", 1)[1] for i in items])
        if len(batches) == 1:
            await release.wait()
        return await real(items)

    monkeypatch.setattr(intake, "write_batch", slow)
    writer = InboxWriter(direct=False)
    first = asyncio.create_task(writer.store(entry("first")))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.create_task(writer.store(entry(n))) for n in ("x", "y")]
    await asyncio.sleep(0)
    release.set()
    assert await first is True and await asyncio.gather(*later) == [True, True]
    assert batches == [["first"], ["x", "y"]]
