"""Fixtures of the federation tests: a Federation runtime for hub.test whose network answers 202 to everything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from federation.context import Federation, build_federation
from federation.outbound import handle_event
from hub.clock import now
from hub.models import Account, Event, Peer, RemoteActor
from hub.settings import load_settings

SETTINGS = {"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}


@pytest.fixture
async def fed(db) -> AsyncIterator[Federation]:
    """The federation runtime of a hub at https://hub.test, over the test database."""
    federation = build_federation(load_settings(SETTINGS), http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    yield federation
    await federation.close()


async def remote_account(name: str, host: str = "masto.test", software: str = "mastodon") -> Account:
    """A known remote account with a personal and a shared inbox on ``host``."""
    peer, _ = await Peer.get_or_create(host=host, defaults={"software": software})
    account = await Account.create(uri=f"https://{host}/users/{name}", handle=f"{name}@{host}")
    await RemoteActor.create(account=account, peer=peer, uri=account.uri, actor_type="Person", inbox=f"{account.uri}/inbox",
                             shared_inbox=f"https://{host}/inbox", fetched_at=now())
    return account


async def drain_events(fed: Federation) -> None:
    """Handle every pending domain event, as the worker would."""
    for event in await Event.filter(state="pending").order_by("id"):
        await handle_event(fed, event)
