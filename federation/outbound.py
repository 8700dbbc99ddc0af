"""From domain events to deliveries: the feature handler for each event kind, run in the event's transaction.

Each handler (federation.features, assembled by federation.registry) builds the activities for one
event and enqueues their deliveries in the same transaction that marks the event done, so a crash
never loses or duplicates a fan-out.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.registry import event_handler_for
from hub.models import Event, Group
from hub.queue import finish
from hub.services.suspension import federates


async def handle_event(fed: Federation, event: Event) -> None:
    """Turn one claimed event into deliveries and mark it done, atomically (a suspended group's events, but
    for its suspension and deletion, are done without sending anything)."""
    handler = event_handler_for(event.kind)
    group = await Group.get_or_none(id=event.group_id) if event.group_id else None
    if handler is not None and not federates(group, event.kind):
        await finish(event, "done", last_error="not sent: the group is suspended")
        return
    async with in_transaction():
        if handler is not None:
            await handler(fed, event, group)
        await finish(event, "done", last_error=None if handler else "no federation side")
    fed.wake_worker()


