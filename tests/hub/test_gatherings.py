"""Tests for hub.services.gatherings: checked details (nothing stored on error), edits, cancelling, reminders,
and events of followed groups."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from babel.dates import format_date

from hub.clock import now
from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Event, GroupFollow
from hub.models.gathering import Gathering
from hub.services import gatherings, rsvps
from hub.services.gatherings import Place, RemoteDetails
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account
from tests.hub.gathering_helpers import details, gathering

pytestmark = pytest.mark.db


@pytest.fixture
async def group(db):
    """An open public group with an owner."""
    return await create_group("aid", "Mutual Aid", owner=await account("owner"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"ends": datetime(2000, 1, 1)}, "must end after it starts"),
    ({"timezone": "Europe/Atlantis"}, "unknown time zone 'Europe/Atlantis'"),
    ({"timezone": "../../etc/passwd"}, "unknown time zone"),
    ({"timezone": ""}, "unknown time zone"),
    ({"title": "   "}, "needs a title"),
    ({"place": Place(), "online_url": None}, "a place (name or address) or an online link"),
    ({"online_url": "ftp://files.example/x"}, "http(s) address"),
    ({"capacity": 0}, "capacity must be a whole number"),
    ({"capacity": True}, "capacity must be a whole number"),
    ({"join_mode": "invite"}, "join mode must be free or restricted"),
    ({"remind_before": (0,)}, "reminders are whole numbers"),
    ({"place": Place(name="Hall", latitude=10.0)}, "both latitude and longitude"),
    ({"place": Place(latitude=10.0, longitude=10.0), "online_url": "https://meet.example"}, "coordinates need a place"),
])
async def test_bad_details_are_refused_and_nothing_is_stored(group, changes, message) -> None:
    """Each bad value raises InvalidInput with a message a person can act on; no row, no domain event."""
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        await gathering(group, **changes)
    assert await Gathering.all().count() == 0 and await Event.filter(kind__startswith="gathering").count() == 0


async def test_past_and_endless_events_are_refused(group) -> None:
    """An event starting in the past, or lasting more than a month, is refused."""
    start = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(InvalidInput, match="start in the future"):
        await gathering(group, starts=start, ends=start + timedelta(hours=2))
    with pytest.raises(InvalidInput, match="at most 31 days"):
        await gathering(group, ends=details().starts + timedelta(days=40))


async def test_times_are_read_in_the_events_time_zone(group) -> None:
    """18:00 in Lisbon and 18:00 in New York are stored as different UTC times; aware times keep their offset."""
    lisbon = await gathering(group)
    new_york = await gathering(group, timezone="America/New_York")
    assert new_york.starts_at - lisbon.starts_at == timedelta(hours=5)
    assert gatherings.local_when(new_york).endswith("18:00–20:00 (America/New_York)")
    aware = await gathering(group, starts=lisbon.starts_at, ends=lisbon.ends_at, timezone="Asia/Tokyo")
    assert aware.starts_at == lisbon.starts_at
    # For a person: in their language, and in their own zone when they chose one, the zone named
    spanish = gatherings.local_when(lisbon, "es")
    day = format_date(lisbon.starts_at.astimezone(gatherings.time_zone("Europe/Lisbon")), "medium", locale="es")
    assert spanish == f"{day}, 18:00–20:00 (Europe/Lisbon)" and spanish != gatherings.local_when(lisbon)
    assert gatherings.local_when(lisbon, "de", "Europe/Berlin").endswith("19:00–21:00 (Europe/Berlin)")


async def test_edit_records_what_changed_and_refuses_cancelled_events(group) -> None:
    """Changing the time or the place raises the sequence and records what changed; cancelled events cannot change."""
    event = await gathering(group)
    assert await gatherings.edit_gathering(event, gatherings.details_of(event)) == []
    new_place = replace(gatherings.details_of(event), place=Place(name="Park"), title="Picnic assembly")
    assert await gatherings.edit_gathering(event, new_place) == ["place", "details"]
    later = replace(gatherings.details_of(event), starts=event.starts_at + timedelta(hours=1), ends=event.ends_at + timedelta(hours=1))
    assert await gatherings.edit_gathering(event, later) == ["time"]
    assert (event.sequence, event.title, event.place_name) == (2, "Picnic assembly", "Park")
    assert [e.payload["changed"] for e in await Event.filter(kind="gathering.updated").order_by("id")] == [["place", "details"], ["time"]]
    with pytest.raises(PermissionDenied):
        await gatherings.cancel_gathering(event, by=await account("stranger"))
    await gatherings.cancel_gathering(event)
    with pytest.raises(Conflict):
        await gatherings.cancel_gathering(event)
    with pytest.raises(Conflict, match="cancelled"):
        await gatherings.edit_gathering(event, later)


async def test_reminders_a_day_and_an_hour_before_once_each(group) -> None:
    """The worker's pass queues the day reminder, then the hour reminder, once each; a new time re-arms them."""
    event = await gathering(group)
    start = event.starts_at
    assert await gatherings.queue_due_reminders(start - timedelta(days=2)) == 0
    assert await gatherings.queue_due_reminders(start - timedelta(hours=23)) == 1
    assert await gatherings.queue_due_reminders(start - timedelta(hours=22)) == 0
    assert await gatherings.queue_due_reminders(start - timedelta(minutes=30)) == 1
    assert await gatherings.queue_due_reminders(start - timedelta(minutes=10)) == 0
    assert [e.payload["minutes"] for e in await Event.filter(kind="gathering.reminder").order_by("id")] == [1440, 60]
    # Changing the time re-arms them; an event created late settles both with one message (the nearest)
    moved = replace(gatherings.details_of(event), starts=start + timedelta(days=1), ends=event.ends_at + timedelta(days=1))
    await gatherings.edit_gathering(event, moved)
    assert (await Gathering.get(id=event.id)).reminded == []
    soon = await gathering(group, remind_before=(1440, 60, 10))
    assert gatherings.due_reminder(soon, soon.starts_at - timedelta(minutes=45)) == (60, [1440, 60])


async def test_events_of_followed_groups(group) -> None:
    """Stored only when a local group follows the publisher; only the publisher may change it; listed until over."""
    origin = await account("berlin", "other.example")
    remote = RemoteDetails(uri="https://other.example/e/1", title="Tenants' assembly", starts=now() + timedelta(days=1),
                           timezone="Nowhere/Land")
    with pytest.raises(PermissionDenied, match="no group on this hub follows"):
        await gatherings.store_remote(origin, remote)
    await GroupFollow.create(group=group, target=origin, follow_uri="https://hub.example/f/1", state="accepted")
    stored = await gatherings.store_remote(origin, remote)
    assert stored.timezone is None and [g.uri for g in await gatherings.followed_gatherings(group)] == [remote.uri]
    impostor = await account("mallory", "other.example")
    await GroupFollow.create(group=group, target=impostor, follow_uri="https://hub.example/f/2", state="accepted")
    with pytest.raises(PermissionDenied, match="only the event's publisher"):
        await gatherings.store_remote(impostor, replace(remote, title="Hijacked"))
    with pytest.raises(InvalidInput):
        await gatherings.store_remote(origin, replace(remote, ends=remote.starts - timedelta(hours=1)))
    await gatherings.store_remote(origin, replace(remote, starts=now() - timedelta(days=3)))
    assert await gatherings.followed_gatherings(group) == []
    assert await gatherings.forget_remote(origin, remote.uri)


async def test_listing_upcoming_across_the_hub(group) -> None:
    """Scheduled events of public groups, soonest first; private groups' and cancelled events are left out."""
    later = await gathering(group, title="Later")
    sooner = await gathering(group, title="Sooner", starts=details().starts - timedelta(days=1),
                             ends=details().starts - timedelta(days=1) + timedelta(hours=1))
    gone = await gathering(group, title="Gone")
    await gatherings.cancel_gathering(gone)
    private = await create_group("cell", "Cell", owner=await account("o2"), private=True)
    await gathering(private, title="Hidden")
    assert [g.title for g in await gatherings.upcoming_across_hub()] == ["Sooner", "Later"]
    assert (await rsvps.counts(later)) == rsvps.Counts() and sooner.id != later.id
