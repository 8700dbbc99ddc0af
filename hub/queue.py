"""Claiming work from the persistent queues (inbox items, events, deliveries) safely across workers.

A claim takes due rows whose lease is free or expired and leases them to one worker (events only
when no earlier event with the same order key is pending, so a post's publication, edit and deletion,
or a member's follow and its undo, keep their order; unrelated events of the group do not wait). On PostgreSQL
the candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never claim the
same row; SQLite runs one process and ignores the locking clause. A worker that dies simply lets its
leases expire and the rows become due again.

Rows change state only here, through the transitions their lifecycle declares (hub.lifecycle:
INBOX_ITEM, EVENT, DELIVERY): :func:`finish`, :func:`retry_later`, :func:`failed_try` (which applies
the lifecycle's retry and give-up rules) and :func:`move_all` for bulk moves. An undeclared
transition raises Conflict.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from hub.clock import now
from hub.lifecycle import DELIVERY, EVENT, INBOX_ITEM, Lifecycle
from hub.models import Delivery, Event, InboxItem
from hub.services.events import LAST_OF_GROUP

Row = TypeVar("Row", Delivery, Event, InboxItem)
LIFECYCLES: dict[type[Model], Lifecycle] = {Delivery: DELIVERY, Event: EVENT, InboxItem: INBOX_ITEM}
"""Each queue model's declared lifecycle."""
ACTIVE_STATE = {model: lifecycle.active for model, lifecycle in LIFECYCLES.items()}
"""The state of a row waiting in its queue (queued, pending)."""


async def claim(model: type[InboxItem] | type[Event], *, limit: int, lease_seconds: float = 60.0) -> list[Row]:
    """Lease up to ``limit`` due inbox items or events; fresh rows (fewer tries) first.

    Deliveries have their own claim with per-host caps (federation.delivery.claim_deliveries).
    """
    moment = now()
    lease_until = moment + timedelta(seconds=lease_seconds)
    async with in_transaction() as connection:
        if model is Event:
            ids = await _event_candidates(connection, moment, limit)
        else:
            query = model.filter(state=ACTIVE_STATE[model], next_try_at__lte=moment).filter(
                Q(lease_until__isnull=True) | Q(lease_until__lt=moment)
            )
            # Not values_list(): tortoise drops FOR UPDATE from it, and two workers would claim the same rows.
            locked = await query.order_by("tries", "next_try_at", "id").limit(limit).select_for_update(skip_locked=True).only("id")
            ids = [row.id for row in locked]
        if not ids:
            return []
        await model.filter(id__in=list(ids)).update(lease_until=lease_until)
    return await model.filter(id__in=list(ids)).order_by("id")


async def _event_candidates(connection, moment: datetime, limit: int) -> list[int]:
    """Due events that are the oldest pending one of their order key, locked (PostgreSQL) for this claim.

    Events with one order key (hub.services.events.order_key: the same post, membership, gathering…)
    are handled one at a time in id order, whichever worker takes them: an event waits while an
    earlier one with its key is pending (leased by a worker or waiting for a retry). Events of other
    keys, even of the same group, go on. Events without a key have no order to keep. The group's
    deletion (events.LAST_OF_GROUP) waits for every earlier pending event of its group.
    """
    table = Event._meta.db_table
    last = ", ".join(f"'{kind}'" for kind in LAST_OF_GROUP)
    postgres = connection.capabilities.dialect == "postgres"
    now_param = "$1" if postgres else "?"
    statement = (
        f"SELECT e.id FROM {table} e WHERE e.state = 'pending' AND e.next_try_at <= {now_param} "
        f"AND (e.lease_until IS NULL OR e.lease_until < {now_param}) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.order_key = e.order_key AND p.state = 'pending' AND p.id < e.id) "
        f"AND NOT (e.kind IN ({last}) AND EXISTS (SELECT 1 FROM {table} p "
        f"WHERE p.group_id = e.group_id AND p.state = 'pending' AND p.id < e.id)) "
        f"ORDER BY e.tries, e.next_try_at, e.id LIMIT {int(limit)}"
        + (" FOR UPDATE OF e SKIP LOCKED" if postgres else "")
    )
    rows = await connection.execute_query_dict(statement, [moment] if postgres else [moment, moment])
    return [row["id"] for row in rows]


def move(row: Model, state: str) -> None:
    """Set ``row.state`` to ``state`` (in memory) if its lifecycle declares the move; Conflict otherwise."""
    LIFECYCLES[type(row)].check(row.state, state)
    row.state = state


async def finish(row: Model, state: str, **fields: object) -> None:
    """Move a leased row to its final ``state`` and release the lease."""
    move(row, state)
    row.lease_until = None
    for key, value in fields.items():
        setattr(row, key, value)
    await row.save()


async def retry_later(row: Model, delay_seconds: float, error: str | None, **fields: object) -> None:
    """Count a failed try, keep the row active and make it due again after ``delay_seconds``."""
    move(row, ACTIVE_STATE[type(row)])
    row.tries += 1
    row.next_try_at = now() + timedelta(seconds=delay_seconds)
    row.lease_until = None
    row.last_error = (error or "")[:2000] or None
    for key, value in fields.items():
        setattr(row, key, value)
    await row.save()


async def failed_try(
    row: Model, error: str, *, retry_after: float | None = None, jitter: random.Random | None = None,
    given_up: Mapping[str, object] = {}, **fields: object,
) -> float | None:
    """A failed try, by the lifecycle's retry rules: due again after the next delay (returned), or moved to the
    give-up state (None) with the try counted and the error kept. ``fields`` are set either way, ``given_up``
    only when the row gives up."""
    retries = LIFECYCLES[type(row)].retries
    tries = row.tries + 1
    delay = retries.next_delay(tries, retry_after, jitter=jitter)
    if delay is None:
        last_error = f"gave up after {tries} tries: {error}"[:2000]
        await finish(row, retries.give_up, tries=tries, last_error=last_error, **fields, **given_up)
    else:
        await retry_later(row, delay, error, **fields)
    return delay


async def move_all(query: QuerySet, source: str, target: str, **fields: object) -> int:
    """Move every row of ``query`` in ``source`` to ``target`` with one UPDATE (a declared transition); how many."""
    LIFECYCLES[query.model].check(source, target)
    return await query.filter(state=source).update(state=target, **fields)


async def depth(model: type[Row]) -> int:
    """How many rows are still active (queued or pending)."""
    return await model.filter(state=ACTIVE_STATE[model]).count()
