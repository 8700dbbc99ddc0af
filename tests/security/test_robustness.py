"""Robustness (issue 21 item 8): list-valued types, signed GET paths, uniform 401s, unsafe deliveries,
bounded key fetches for unverified requests, and what a private group keeps to itself.
"""

from __future__ import annotations

import asyncio

from pathlib import Path

import httpx
import pytest

from federation.delivery import enqueue
from federation.errors import FetchError, KeyFetchError
from federation.keycache import FetchSlotsBusy, KeyFetchSlots
from federation.remote import lookup_key, store_actor
from federation.signer import UNVERIFIED
from federation.vocab import has_type, type_of, types_of
from hub.models import Delivery, Group, InboxItem
from tests.federation.harness import HUB_BASE, OTHER_KEY, SignOptions, running_hub, signed_headers

pytestmark = pytest.mark.db

SCHEMA_TYPES = ["Person", "https://schema.org/Person"]
"""A valid JSON-LD type list, as some servers send."""


def test_one_helper_reads_type_as_a_string_or_a_list() -> None:
    """types_of, type_of and has_type accept both forms; anything else has no type."""
    assert types_of({"type": SCHEMA_TYPES}) == tuple(SCHEMA_TYPES)
    assert type_of({"type": [3, "Note"]}) == "Note" and type_of({"type": {"x": 1}}) is None
    assert has_type({"type": ["schema:Thing", "Group"]}, frozenset({"Person", "Group"})) == "Group"


async def test_an_actor_whose_type_is_a_list_is_stored_and_its_posts_accepted(database_url: str, tmp_path: Path) -> None:
    """The inbox verifies a list-typed actor's signature (no 500); a list without an actor type is not an actor."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        listy = hub.world.person("listy", actor_type=SCHEMA_TYPES)
        like = {"id": f"{listy.id}/likes/1", "type": "Like", "actor": listy.id, "object": hub.group_id()}
        assert (await hub.signed_post(hub.inbox(), like, listy)).status_code == 202
        assert (await InboxItem.get(activity_uri=like["id"])).actor_uri == listy.id
        with pytest.raises(FetchError, match="not an actor document"):
            await store_actor({**hub.world.documents[listy.id], "type": ["Note", "Article"]})


async def test_a_signed_get_covers_its_own_path(database_url: str, tmp_path: Path) -> None:
    """Under authorized fetch, a signature made for one path does not open another."""
    async with running_hub(database_url, tmp_path, HUB_AUTHORIZED_FETCH="true") as hub:
        await hub.group()
        reader = hub.world.person("reader")
        made_for = signed_headers("GET", f"{HUB_BASE}/groups/climate/outbox", b"", reader, SignOptions(names=("(request-target)", "host", "date")))
        assert (await hub.client.get("/groups/climate/outbox", headers=made_for)).status_code == 200
        assert (await hub.client.get("/groups/climate/featured", headers=made_for)).status_code == 401


async def test_401_answers_are_the_same_whatever_the_hubs_own_fetch_met(database_url: str, tmp_path: Path) -> None:
    """Unreachable, missing, timing-out key servers and a key that does not verify give one identical body."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        bodies = []
        for n, responder in enumerate([404, 500, httpx.ConnectError, None]):
            ghost = hub.world.person(f"ghost{n}")
            if responder is httpx.ConnectError:
                def refuse(request: httpx.Request) -> httpx.Response:
                    raise httpx.ConnectError("refused", request=request)
                hub.world.respond(ghost.id, refuse)
            elif responder is not None:
                hub.world.respond(ghost.id, responder)
            like = {"id": f"{ghost.id}/likes/1", "type": "Like", "actor": ghost.id, "object": hub.group_id()}
            sign = SignOptions(key=OTHER_KEY) if responder is None else SignOptions()
            response = await hub.signed_post(hub.inbox(), like, ghost, sign=sign)
            assert response.status_code == 401
            bodies.append(response.content)
        assert len(set(bodies)) == 1 and UNVERIFIED.encode() in bodies[0]


async def test_deliveries_refused_as_unsafe_are_dropped_not_retried(database_url: str, tmp_path: Path) -> None:
    """An inbox on a private address is refused by the address guard once and ends dead, never queued again."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        activity = {"id": f"{hub.group_id()}/activities/1", "type": "Announce"}
        assert await enqueue(activity, actor_uri=hub.group_id(), inboxes=["http://10.0.0.7/inbox"]) == 1
        await hub.drain()
        row = await Delivery.get(inbox="http://10.0.0.7/inbox")
        assert row.state == "dead" and row.tries == 1 and "unsafe" in (row.last_error or "")


async def test_key_fetches_of_unverified_requests_have_a_bounded_share(database_url: str, tmp_path: Path) -> None:
    """A server holding its share of key-fetch slots makes the next unverified request wait (then 401 past the
    deadline, with no fetch made), refuses it at once when too many already wait, and never blocks other servers."""
    slots = KeyFetchSlots(total=4, per_host=2, waiting=1)
    async with slots.slot("slow.example", 1.0), slots.slot("slow.example", 1.0):
        with pytest.raises(TimeoutError):
            async with slots.slot("slow.example", 0.05):
                pass
        waiter = asyncio.create_task(slots.slot("slow.example", 1.0).__aenter__())
        await asyncio.sleep(0.01)
        with pytest.raises(FetchSlotsBusy):
            async with slots.slot("slow.example", 1.0):
                pass
        async with slots.slot("other.example", 1.0):
            assert slots.busy == {"slow.example": 3, "other.example": 1}
    await waiter  # a slot freed: the waiting request got it
    assert slots.busy == {"slow.example": 1}
    async with running_hub(database_url, tmp_path) as hub:
        slow = hub.world.person("a", host="slow.example")
        async with hub.fed.key_fetch_slots.slot("slow.example", 1.0), hub.fed.key_fetch_slots.slot("slow.example", 1.0):
            with pytest.raises(KeyFetchError):
                await lookup_key(hub.fed, slow.key_id, unverified=True)
            assert hub.world.fetched(slow.id) == 0
            assert (await lookup_key(hub.fed, slow.key_id)).actor_uri == slow.id  # the worker's own fetches are not bounded


async def test_a_private_groups_moderators_and_size_are_not_public(database_url: str, tmp_path: Path) -> None:
    """The moderators collection of a private group lists nobody, its followers collection has no size, its page no count."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group("secret", visibility="private")
        boss = hub.world.person("boss")
        await hub.member(boss, "secret", role="moderator")
        moderators = (await hub.client.get("/groups/secret/moderators", headers={"Accept": "application/activity+json"})).json()
        followers = (await hub.client.get("/groups/secret/followers", headers={"Accept": "application/activity+json"})).json()
        assert boss.id not in str(moderators) and "totalItems" not in followers and moderators.get("totalItems", 0) == 0
        page = (await hub.client.get("/groups/secret", headers={"Accept": "text/html"})).text
        assert "1 member" not in page
        await Group.filter(slug="secret").update(visibility="public")
        moderators = (await hub.client.get("/groups/secret/moderators", headers={"Accept": "application/activity+json"})).json()
        assert moderators["orderedItems"] == [boss.id]
