"""The worker wired to the real inbox processing and event fan-out."""

from __future__ import annotations

import json

import pytest

from federation.runtime import build_worker
from hub.clock import now
from hub.models import Event, InboxItem
from hub.services import groups

pytestmark = pytest.mark.db


async def test_the_built_worker_runs_the_registrys_inbound_and_outbound_tables(fed):
    """A quiet event is done with no federation side; an unsupported activity is ignored with its reason."""
    await groups.create_group("climate", "Climate")
    like = {"id": "https://masto.test/likes/1", "type": "Like", "actor": "https://masto.test/users/ann", "object": "x"}
    item = await InboxItem.create(activity_uri=like["id"], actor_uri=like["actor"], body=json.dumps(like), next_try_at=now())
    assert await build_worker(fed).run_once() == 2
    event = await Event.get(kind="group.created")
    assert (event.state, event.last_error) == ("done", "no federation side")
    stored = await InboxItem.get(id=item.id)
    assert (stored.state, stored.last_error) == ("ignored", "likes are not counted: Causeway measures impact, not likes")
