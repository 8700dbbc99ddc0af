"""Storing received activities with group commit: the POSTs that arrive together share one INSERT.

The inbox answers 202 only once its activity is committed, so nothing acknowledged is lost. Each
request hands its row to the process's :class:`InboxWriter` and waits; the writer takes every row
waiting at that moment and stores them in one transaction, while the next rows gather behind it.
A lone request is written at once (no timer), a busy inbox writes one statement per few dozen
requests. The same activity id twice — in one batch or across batches and processes — is stored
once (the unique ``activity_uri`` decides, ``INSERT … ON CONFLICT DO NOTHING RETURNING``).

In an SQLite file a batch is written in place on a connection of the writer's own, unless it is big
or another connection holds the write lock (hub.intake_sqlite); on PostgreSQL, and then, through the ORM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from tortoise import connections

from hub.clock import now
from hub.intake_sqlite import COLUMNS, CONFLICT, DirectSqlite, first_of_each, outcomes, sqlite_insert_of
from hub.models import InboxItem

log = logging.getLogger("causeway.inbox")

CLOSE_WAIT = 5.0
MAX_BATCH = 200
"""Rows per statement at most (SQLite allows 32,766 parameters; PostgreSQL 65,535)."""


@dataclass(frozen=True)
class InboxEntry:
    """One received activity to store."""

    activity_uri: str
    actor_uri: str
    body: str


class InboxWriter:
    """Stores received activities in batches; :meth:`store` returns once its row is committed."""

    def __init__(self, *, direct: bool = True) -> None:
        self._waiting: list[tuple[InboxEntry, asyncio.Future[bool]]] = []
        self._writing: asyncio.Task | None = None
        self._direct = DirectSqlite() if direct else None
        self._checkpoint: asyncio.Task | None = None

    async def store(self, item: InboxEntry) -> bool:
        """Store ``item``; True when stored, False when its id was already known. Database errors propagate."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await future

    async def close(self) -> None:
        """Let a checkpoint under way end (for at most CLOSE_WAIT seconds), and close the writer's own SQLite connection."""
        if self._checkpoint is not None and not self._checkpoint.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._checkpoint), CLOSE_WAIT)
        if self._direct is not None:
            self._direct.close()

    async def _write(self, items: list[InboxEntry]) -> list[bool]:
        """Write ``items`` in one statement: in place on an SQLite file when it is free, else through the ORM."""
        written = self._direct.write(items) if self._direct is not None else None
        if written is None:
            return await write_batch(items)
        if (self._checkpoint is None or self._checkpoint.done()) and self._direct.checkpoint_due():
            self._checkpoint = asyncio.create_task(checkpoint())
        return written

    async def _write_alone(self, item: InboxEntry) -> bool | Exception:
        """Whether ``item`` was new, or the error the database gave for it alone (for its request to raise)."""
        try:
            [stored] = await self._write([item])
        except Exception as exc:  # noqa: BLE001 - the request gets its own error
            return exc
        return stored

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            items = [item for item, _ in batch]
            try:
                outcomes: list[bool | Exception] = list(await self._write(items))
            except Exception:  # noqa: BLE001 - one bad row must not fail its neighbours: write them one by one
                outcomes = [await self._write_alone(item) for item in items]
            for (_, future), outcome in zip(batch, outcomes):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


POSTGRES_INSERT = (
    f"INSERT INTO {InboxItem._meta.db_table} ({', '.join(COLUMNS)}) "
    "SELECT uri, actor, body, 'pending', 0, $4, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(uri, actor, body) "
    + CONFLICT
)
"""PostgreSQL: one statement for any number of rows (arrays), so it is prepared once per connection."""


async def write_batch(items: list[InboxEntry]) -> list[bool]:
    """Insert ``items`` in one statement through the ORM, skipping known ids; for each, whether it was new.

    Written as SQL rather than ``bulk_create``: building a model per row cost more than the INSERT
    (bench/RESULTS.md, inbox), and tortoise cannot say which rows a conflict skipped.
    """
    first = first_of_each(items)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        new = [items[index] for index in first.values()]
        statement = POSTGRES_INSERT
        values: list[object] = [[i.activity_uri for i in new], [i.actor_uri for i in new], [i.body for i in new], now()]
    else:
        statement, values = sqlite_insert_of(items, first)
    rows = await connection.execute_query_dict(statement, values)
    return outcomes(items, first, {row["activity_uri"] for row in rows})


async def checkpoint() -> tuple[int, int, int] | None:
    """Copy the WAL into the SQLite file and start it afresh (``RESTART``), on the ORM's thread.

    While it runs, the writer's own connection finds the file busy and its batches go through the ORM,
    which waits for it: the event loop never does. Returns SQLite's (busy, frames in the WAL, frames
    copied), or None after a failure, which is logged: the rows are safe in the WAL, and the next
    checkpoint (or the ORM's own) copies them.
    """
    try:
        [row] = await connections.get("default").execute_query_dict("PRAGMA wal_checkpoint(RESTART)")
    except Exception as exc:  # noqa: BLE001 - a background step: logged, never raised into a request
        log.warning("WAL checkpoint after the inbox's writes failed: %s", exc)
        return None
    busy, frames, copied = row.values()
    if busy:
        log.info("WAL checkpoint after the inbox's writes: readers kept %d of %d frames back", frames - copied, frames)
    return busy, frames, copied
