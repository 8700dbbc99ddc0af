"""Tests for hub.services.rsvps: answers in several languages and by poll, capacity, the waiting list, approval."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Event, Gathering, Rsvp
from hub.services import gatherings, members, rsvps
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member
from tests.hub.gathering_helpers import gathering

pytestmark = pytest.mark.db


@pytest.mark.parametrize(("text", "answer"), [
    ("Going!", "going"), ("@aid@hub.example I'll be there", "going"), ("me apunto", "going"), ("Ich komme", "going"),
    ("je viens", "going"), ("Maybe", "maybe"), ("vielleicht", "maybe"), ("tal vez", "maybe"), ("peut-être", "maybe"),
    ("Sorry, can't go", "declined"), ("I’m not going", "declined"), ("no puedo", "declined"), ("ich kann nicht", "declined"),
    ("je ne peux pas", "declined"),
])
def test_reply_phrases_give_an_answer(text: str, answer: str) -> None:
    """Replies in several languages say going, maybe or not going ("not going" is not "going")."""
    assert rsvps.answer_in_text(text) == answer


@pytest.mark.parametrize("text", ["", "What time?", "ongoing works", "@going@x.example hello", "undergoing"])
def test_other_replies_give_no_answer(text: str) -> None:
    """Questions and words that merely contain a phrase are no answer."""
    assert rsvps.answer_in_text(text) is None


def test_poll_options_map_to_answers() -> None:
    """The poll's three options are going, maybe and not going; other names are none."""
    assert [rsvps.poll_answer(n) for n in ("Going", "maybe", "Can’t go", "Other", None)] == ["going", "maybe", "declined", None, None]


@pytest.fixture
async def group(db):
    """An open public group with an owner."""
    return await create_group("aid", "Mutual Aid", owner=await account("owner"))


async def test_capacity_waiting_list_and_moving_up(group) -> None:
    """Two places: the third person waits; when someone leaves, the first on the waiting list moves up."""
    event = await gathering(group, capacity=2)
    alice, bob, carol, dan = [await account(n) for n in ("alice", "bob", "carol", "dan")]
    assert (await rsvps.respond(event, alice, "going", via="join")).rsvp.status == "going"
    assert (await rsvps.respond(event, bob, "going", via="vote")).rsvp.status == "going"
    assert (await rsvps.respond(event, carol, "going", via="accept")).rsvp.status == "waiting"
    assert (await rsvps.respond(event, dan, "going", via="reply")).rsvp.status == "waiting"
    again = await rsvps.respond(event, alice, "going", via="reply")
    assert not again.changed
    assert await rsvps.counts(event) == rsvps.Counts(going=2, waiting=2)
    # When bob leaves, carol (first to arrive on the list) moves up, not dan
    await rsvps.respond(event, bob, "declined", via="leave")
    statuses = {r.account_id: r.status for r in await Rsvp.filter(gathering=event)}
    assert (statuses[carol.id], statuses[dan.id], statuses[bob.id]) == ("going", "waiting", "declined")
    promoted = [e.payload for e in await Event.filter(kind="gathering.rsvp") if e.payload.get("promoted")]
    assert [p["rsvp_id"] for p in promoted] == [(await Rsvp.get(account=carol)).id]


async def test_concurrent_answers_never_overbook(group) -> None:
    """Forty people answering at once for ten places: exactly ten going, thirty waiting in arrival order."""
    event = await gathering(group, capacity=10)
    people = [await account(f"p{n}") for n in range(40)]
    results = await asyncio.wait_for(
        asyncio.gather(*(rsvps.respond(event, who, "going", via="join") for who in people)), timeout=120)
    assert sum(r.rsvp.status == "going" for r in results) == 10
    tally = await rsvps.counts(event)
    assert (tally.going, tally.waiting) == (10, 30)
    waiting = await Rsvp.filter(gathering=event, status="waiting").order_by("arrived_at", "id")
    assert [r.arrived_at for r in waiting] == sorted(r.arrived_at for r in waiting)
    # And more places (an edit) move the waiting list up, still without over-booking
    await gatherings.edit_gathering(event, gatherings.replace(gatherings.details_of(event), capacity=15))
    assert (await rsvps.counts(event)).going == 15


async def test_approval_when_the_event_needs_it(group) -> None:
    """A restricted event: answers wait for an organiser, who approves (going, or waiting when full) or refuses."""
    event = await gathering(group, join_mode="restricted", capacity=1)
    alice, bob, carol = [await account(n) for n in ("alice", "bob", "carol")]
    for who in (alice, bob, carol):
        assert (await rsvps.respond(event, who, "going", via="join")).rsvp.status == "pending"
    assert (await rsvps.approve(event, await rsvps.find_rsvp(event, "alice@social.example"))).status == "going"
    assert (await rsvps.approve(event, await rsvps.find_rsvp(event, "@bob@social.example"))).status == "waiting"
    assert (await rsvps.refuse(event, await rsvps.find_rsvp(event, carol.uri))).status == "refused"
    with pytest.raises(PermissionDenied):
        await rsvps.respond(event, carol, "going", via="join")
    with pytest.raises(Conflict):
        await rsvps.approve(event, await rsvps.find_rsvp(event, "alice@social.example"))
    owner_only = await account("stranger")
    with pytest.raises(PermissionDenied):
        await rsvps.approve(event, await rsvps.find_rsvp(event, "alice@social.example"), by=owner_only)


async def test_answers_to_cancelled_or_past_events_are_refused(group) -> None:
    """Cancelled and finished events take no answers, and nothing is stored."""
    alice = await account("alice")
    cancelled = await gathering(group)
    await gatherings.cancel_gathering(cancelled)
    with pytest.raises(Conflict, match="cancelled"):
        await rsvps.respond(cancelled, alice, "going", via="join")
    past = await gathering(group)
    await Gathering.filter(id=past.id).update(starts_at=now() - timedelta(hours=3), ends_at=now() - timedelta(hours=1))
    await past.refresh_from_db()
    with pytest.raises(Conflict, match="over"):
        await rsvps.respond(past, alice, "going", via="vote")
    with pytest.raises(InvalidInput):
        await rsvps.respond(await gathering(group), alice, "perhaps", via="vote")
    assert await Rsvp.all().count() == 0


async def test_banned_people_and_private_groups(group) -> None:
    """A banned account cannot answer; a private group's events take answers from members only."""
    event = await gathering(group)
    banned = await member(group, "banned")
    await members.remove(group, banned, ban=True)
    with pytest.raises(PermissionDenied):
        await rsvps.respond(event, banned, "going", via="join")
    private = await create_group("cell", "Cell", owner=await account("owner2"), private=True)
    inner = await gathering(private)
    with pytest.raises(PermissionDenied, match="only members"):
        await rsvps.respond(inner, await account("outsider"), "going", via="reply")
    assert (await rsvps.respond(inner, await member(private, "insider"), "going", via="reply")).rsvp.status == "going"


async def test_confirmation_texts_say_where_one_stands(group) -> None:
    """The direct message names the event, its local time and the count, or the place on the waiting list."""
    event = await gathering(group, capacity=1)
    first = (await rsvps.respond(event, await account("alice"), "going", via="join")).rsvp
    second = (await rsvps.respond(event, await account("bob"), "going", via="join")).rsvp
    text = await rsvps.confirmation(event, first)
    assert "You're going to “Neighbourhood assembly”" in text and "18:00–20:00 (Europe/Lisbon)" in text and "1 going of 1 places" in text
    assert "number 1 on the waiting list" in await rsvps.confirmation(event, second)
