"""Tests for hub.queue: leasing due rows to workers, retries, and concurrent claims on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from hub import queue
from hub.clock import now
from hub.errors import Conflict
from hub.models import Delivery, Event, Group, InboxItem
from hub.services import events

pytestmark = pytest.mark.db


async def item(n: int, *, tries: int = 0, due: datetime | None = None) -> InboxItem:
    """A pending inbox item, due now unless told otherwise."""
    return await InboxItem.create(
        activity_uri=f"https://x.example/activities/{n}", actor_uri="https://x.example/users/a", body="{}", tries=tries,
        next_try_at=due or now() - timedelta(seconds=1),
    )


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move hub.queue's clock forward."""
    moment = now() + timedelta(seconds=seconds)
    monkeypatch.setattr(queue, "now", lambda: moment)


async def test_claim_leases_rows(db) -> None:
    """claim() returns due rows leased until now + lease_seconds."""
    rows = [await item(n) for n in range(3)]
    before = now()
    claimed = await queue.claim(InboxItem, limit=10, lease_seconds=60)
    assert [r.id for r in claimed] == [r.id for r in rows]
    for row in await InboxItem.all():
        assert before + timedelta(seconds=59) < row.lease_until < now() + timedelta(seconds=61)


async def test_second_claim_does_not_return_leased_rows(db) -> None:
    """While a lease holds, another claim gets nothing; the limit caps each claim."""
    for n in range(3):
        await item(n)
    assert len(await queue.claim(InboxItem, limit=2)) == 2
    assert len(await queue.claim(InboxItem, limit=5)) == 1
    assert await queue.claim(InboxItem, limit=5) == []


async def test_expired_lease_is_claimable_again(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that died lets its lease run out; the row is then claimed by another worker."""
    await item(1)
    [first] = await queue.claim(InboxItem, limit=1, lease_seconds=30)
    assert await queue.claim(InboxItem, limit=1, lease_seconds=30) == []
    later(monkeypatch, 31)
    [again] = await queue.claim(InboxItem, limit=1, lease_seconds=30)
    assert again.id == first.id


async def test_rows_not_yet_due_are_not_claimed(db) -> None:
    """A row whose next_try_at lies in the future waits."""
    await item(1, due=now() + timedelta(minutes=5))
    assert await queue.claim(InboxItem, limit=5) == []


async def test_fresh_rows_come_before_retried_ones(db) -> None:
    """Rows with fewer tries are claimed first, even when a retried row has been due longer."""
    retried = await item(1, tries=3, due=now() - timedelta(hours=1))
    fresh = await item(2, tries=0)
    [first] = await queue.claim(InboxItem, limit=1)
    [second] = await queue.claim(InboxItem, limit=1)
    assert (first.id, second.id) == (fresh.id, retried.id)


async def test_retry_later_pushes_next_try_at(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """retry_later counts the try, releases the lease and makes the row due only after the delay."""
    await item(1)
    [row] = await queue.claim(InboxItem, limit=1)
    await queue.retry_later(row, 120, "connection refused")
    stored = await InboxItem.get(id=row.id)
    assert (stored.tries, stored.lease_until, stored.last_error, stored.state) == (1, None, "connection refused", "pending")
    assert stored.next_try_at > now() + timedelta(seconds=110)
    assert await queue.claim(InboxItem, limit=1) == []
    later(monkeypatch, 121)
    assert [r.id for r in await queue.claim(InboxItem, limit=1)] == [row.id]


async def test_finish_ends_the_row(db) -> None:
    """finish() moves a row out of the active state, so it is never claimed again and leaves the depth."""
    await item(1)
    await item(2)
    [row] = await queue.claim(InboxItem, limit=1)
    await queue.finish(row, "done", processed_at=now())
    stored = await InboxItem.get(id=row.id)
    assert (stored.state, stored.lease_until) == ("done", None) and stored.processed_at is not None
    assert await queue.depth(InboxItem) == 1


async def test_events_and_inbox_items_are_claimed_too(db) -> None:
    """claim() serves the event and inbox queues with their own active state."""
    event = await Event.create(kind="group.created", payload={}, next_try_at=now())
    await Event.create(kind="done.already", payload={}, state="done", next_try_at=now())
    item = await InboxItem.create(activity_uri="https://x.example/a/1", actor_uri="https://x.example/u", body="{}", next_try_at=now())
    assert [e.id for e in await queue.claim(Event, limit=5)] == [event.id]
    assert [i.id for i in await queue.claim(InboxItem, limit=5)] == [item.id]


async def group(slug: str) -> Group:
    return await Group.create(slug=slug, name=slug.title(), private_key_pem="-", public_key_pem="-")


async def test_events_about_one_object_are_claimed_one_at_a_time_in_id_order(db) -> None:
    """An event waits while an earlier one with its order key is pending (leased or due later); the group's other events go on."""
    climate, housing = await group("climate"), await group("housing")
    first = await events.record("post.published", climate, post_id=1)
    second = await events.record("post.deleted", climate, post_id=1)
    unrelated = await events.record("post.published", climate, post_id=2)
    other = await events.record("post.published", housing, post_id=3)
    loose = await events.record("organisers.email", climate, group_slug="climate", to="o@x.example")
    assert (first.order_key, second.order_key, loose.order_key) == ("post:post_id=1", "post:post_id=1", None)
    assert [e.id for e in await queue.claim(Event, limit=10)] == [first.id, unrelated.id, other.id, loose.id]
    assert await queue.claim(Event, limit=10) == []  # the deletion waits for the publication, leased by w1
    await queue.retry_later(first, 60, "remote down")
    later_post = await events.record("post.published", climate, post_id=4)
    assert [e.id for e in await queue.claim(Event, limit=10)] == [later_post.id]  # ... not behind the retry
    await queue.finish(await Event.get(id=first.id), "done")
    assert [e.id for e in await queue.claim(Event, limit=10)] == [second.id]


async def test_a_groups_deletion_waits_for_everything_the_group_said_before(db) -> None:
    """group.deleted is claimed only once every earlier event of its group is done; other groups go on."""
    climate, housing = await group("climate"), await group("housing")
    post = await events.record("post.published", climate, post_id=1)
    deleted = await events.record("group.deleted", climate, by=None)
    other = await events.record("group.deleted", housing, by=None)
    assert [e.id for e in await queue.claim(Event, limit=10)] == [post.id, other.id]
    await queue.retry_later(post, 60, "remote down")
    assert await queue.claim(Event, limit=10) == []
    await queue.finish(await Event.get(id=post.id), "done")
    assert [e.id for e in await queue.claim(Event, limit=10)] == [deleted.id]


def test_order_keys_follow_what_the_event_is_about() -> None:
    """A follow and its undo share the membership's key; group-wide events share the group's; the first id named wins."""
    climate = Group(id=5, slug="climate")
    key = events.order_key
    assert key("membership.accepted", climate, {"membership_id": 3, "follow_uri": "u"}) == key("membership.quit", climate, {"membership_id": 3})
    assert key("group.updated", climate, {"by": None}) == key("group.deleted", climate, {}) == "group:5"
    assert key("gathering.rsvp", climate, {"gathering_id": 9, "rsvp_id": 4}) == "gathering:gathering_id=9"
    assert key("campaign.post_pending", climate, {"entry_id": 1, "campaign_id": 2}) == "campaign:campaign_id=2"
    assert key("library.added", climate, {"entry_id": 1}) != key("campaign.post_pending", climate, {"entry_id": 1, "campaign_id": 1})
    assert key("post.refused", climate, {"author_id": 1}) is None and key("relay.follow", None, {"relay_id": 2}) == "relay:relay_id=2"


async def claim_at_once(model, *, limit: int) -> list[list]:
    """Two workers (w1, w2) claim at the same time, each in its own transaction held until both have claimed."""
    both_claimed = asyncio.Barrier(2)

    async def worker(name: str) -> list:
        async with in_transaction():
            rows = await queue.claim(model, limit=limit)
            # When the other worker is blocked on our locks, stop waiting: commit and let it go on.
            with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
                await asyncio.wait_for(both_claimed.wait(), timeout=2)
            return rows

    return list(await asyncio.wait_for(asyncio.gather(worker("w1"), worker("w2")), timeout=30))


async def test_concurrent_claims_never_share_a_row(db, database_backend: str) -> None:
    """On PostgreSQL two workers claiming at once in their own transactions never get the same row (20 rounds, 50 rows)."""
    if database_backend != "postgres":
        pytest.skip("row locking (FOR UPDATE SKIP LOCKED) needs PostgreSQL; SQLite runs one worker")
    for round_no in range(20):
        # Given 50 due rows
        await InboxItem.all().delete()
        await InboxItem.bulk_create([
            InboxItem(activity_uri=f"https://x.example/a/{round_no}/{n}", actor_uri="https://x.example/u", body="{}",
                      next_try_at=now() - timedelta(seconds=1))
            for n in range(50)
        ])
        # When two workers claim at the same time
        first, second = [[r.id for r in rows] for rows in await claim_at_once(InboxItem, limit=30)]
        # Then no row was given to both, and between them they took every row
        assert not set(first) & set(second), f"round {round_no}: both claimed {sorted(set(first) & set(second))}"
        assert len(first) + len(second) == 50, f"round {round_no}: {len(first)} + {len(second)} rows claimed"
        assert await InboxItem.filter(lease_until__isnull=True).count() == 0


async def test_concurrent_event_claims_keep_each_objects_order(db, database_backend: str) -> None:
    """On PostgreSQL two workers claiming events at once never hold two events about one post (10 rounds)."""
    if database_backend != "postgres":
        pytest.skip("concurrent claims need PostgreSQL; SQLite runs one worker")
    groups = [await group(f"g{n}") for n in range(10)]
    for round_no in range(10):
        await Event.all().delete()
        await Event.bulk_create([
            Event(kind="post.updated", group=groups[n % 2], payload={"post_id": n % 10}, order_key=f"post:post_id={n % 10}",
                  next_try_at=now() - timedelta(seconds=1))
            for n in range(40)
        ])
        first, second = await claim_at_once(Event, limit=30)
        held = [e.order_key for e in first + second]
        assert len(held) == len(set(held)) == 10, f"round {round_no}: posts held {sorted(held)}"
        oldest = {k: min(e.id for e in await Event.filter(order_key=k)) for k in set(held)}
        assert {e.id for e in first + second} == set(oldest.values())


async def test_illegal_transitions_raise_and_change_nothing(db) -> None:
    """finish, retry_later and move_all refuse moves their lifecycle does not declare, before touching the row."""
    await item(1)
    [row] = await queue.claim(InboxItem, limit=1)
    await queue.finish(row, "done", processed_at=now())
    with pytest.raises(Conflict, match="inbox item cannot go from done to failed"):
        await queue.finish(row, "failed")
    with pytest.raises(Conflict, match="from done to pending"):
        await queue.retry_later(row, 5, "again")
    assert (await InboxItem.get(id=row.id)).state == "done"
    delivery = await Delivery.create(inbox="https://a.example/inbox", host="a.example", actor_uri="https://hub.example/g",
                                     activity_uri="https://hub.example/a/1", body="{}", next_try_at=now())
    with pytest.raises(Conflict, match="delivery cannot go from delivered to queued"):
        await queue.move_all(Delivery.all(), "delivered", "queued")
    assert await queue.move_all(Delivery.all(), "queued", "cancelled", last_error="blocked") == 1
    assert (await Delivery.get(id=delivery.id)).state == "cancelled"
    with pytest.raises(Conflict, match="from cancelled to dead"):
        await queue.finish(await Delivery.get(id=delivery.id), "dead")


async def test_failed_try_follows_the_lifecycles_retry_rules(db) -> None:
    """A failed inbox item waits 5, 20, 80, 320 s, then ends failed with the give-up fields and the tries counted."""
    await item(1)
    delays = []
    for _ in range(5):
        [row] = await queue.claim(InboxItem, limit=1)
        delays.append(await queue.failed_try(row, "boom", given_up={"processed_at": now()}))
        await InboxItem.filter(id=row.id).update(next_try_at=now() - timedelta(seconds=1))
    stored = await InboxItem.get(id=row.id)
    assert delays == [5, 20, 80, 320, None]
    assert (stored.state, stored.tries, stored.last_error) == ("failed", 5, "gave up after 5 tries: boom")
    assert stored.processed_at is not None

