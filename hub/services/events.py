"""Recording domain events for the federation layer (the transactional outbox)."""

from __future__ import annotations

from typing import Any

from hub import changes
from hub.clock import now
from hub.models import Event, Group


async def record(kind: str, group: Group | None = None, **payload: Any) -> Event:
    """Store an event; call inside the transaction that made the change it describes."""
    changes.note("content")
    return await Event.create(kind=kind, group=group, payload=payload, state="pending", next_try_at=now())
