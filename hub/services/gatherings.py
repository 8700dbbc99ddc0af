"""Gatherings: the events a group organises, with a time zone, a place or an online link, and a capacity.

*Gathering* is the domain name of what people call an event; it keeps it apart from
``hub.services.events``, which records the domain events of the transactional outbox. Answers
(RSVPs) live in ``hub.services.rsvps``.

Times are given in the event's IANA time zone (``zoneinfo``) and stored in UTC. Every check runs
before anything is written: an event ending before it starts, starting in the past, with an unknown
time zone, no place and no link, or a bad capacity is refused with a message and nothing stored.

Domain events recorded (the federation layer turns them into activities):
``gathering.published`` {gathering_id}, ``gathering.updated`` {gathering_id, changed: [time, place,
details…]}, ``gathering.cancelled`` {gathering_id}, ``gathering.reminder`` {gathering_id, minutes}.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, fields as dataclass_fields, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date, format_time
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from hub import timezones
from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.lifecycle import GATHERING
from hub.models import Account, Gathering, GroupFollow, Group, MediaFile, RemoteGathering, Rsvp
from hub.services import events
from hub.services.members import ORGANISER_ROLES, require_role

JOIN_MODES = ("free", "restricted")
"""free: whoever answers is going (while places last); restricted: organisers approve each answer (Mobilizon's joinMode)."""
DEFAULT_REMINDERS = (1440, 60)
"""Minutes before the start at which people going are reminded: a day and an hour."""
MAX_REMINDER_MINUTES = 14 * 24 * 60
MAX_CAPACITY = 100_000
MAX_DURATION = timedelta(days=31)
REMOTE_HORIZON = timedelta(days=1)
"""Events of followed groups stay listed until a day after they started when they gave no end."""


@dataclass(frozen=True)
class Place:
    """Where a gathering happens: a named place with a postal address and optional coordinates."""

    name: str = ""
    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @property
    def empty(self) -> bool:
        """Whether no part of the place is given."""
        return not any((self.name, self.street, self.locality, self.region, self.postal_code, self.country))

    def one_line(self) -> str:
        """The place as one line of text: name, street, postal code and town, region, country."""
        town = " ".join(p for p in (self.postal_code, self.locality) if p)
        return ", ".join(p for p in (self.name, self.street, town, self.region, self.country) if p)


@dataclass(frozen=True)
class Details:
    """What organisers give when they create or edit a gathering (times in ``timezone`` unless aware)."""

    title: str
    starts: datetime
    ends: datetime
    timezone: str
    description: str = ""
    place: Place = Place()
    online_url: str | None = None
    capacity: int | None = None
    join_mode: str = "free"
    remind_before: tuple[int, ...] = DEFAULT_REMINDERS


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Lisbon``), or InvalidInput naming it."""
    try:
        if not name or name != name.strip() or len(name) > 64:
            raise ValueError(name)
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"unknown time zone {name!r}: give an IANA name such as Europe/Lisbon or America/New_York",
                           field="timezone") from None


def in_zone(moment: datetime, name: str) -> datetime:
    """A time given by organisers, in UTC: naive times are read in the time zone ``name``."""
    zone = time_zone(name)
    aware = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return aware.astimezone(UTC)


def place_of(gathering: Gathering) -> Place:
    """The stored place of a gathering."""
    return Place(gathering.place_name, gathering.street_address, gathering.locality, gathering.region,
                 gathering.postal_code, gathering.country, gathering.latitude, gathering.longitude)


def details_of(gathering: Gathering) -> Details:
    """The stored details of a gathering (to change some of them with ``dataclasses.replace``)."""
    return Details(
        title=gathering.title, starts=gathering.starts_at, ends=gathering.ends_at, timezone=gathering.timezone,
        description=gathering.description, place=place_of(gathering), online_url=gathering.online_url,
        capacity=gathering.capacity, join_mode=gathering.join_mode, remind_before=tuple(gathering.remind_before or ()),
    )


def _line(value: str, name: str, limit: int, *, required: bool = False, field: str | None = None) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise InvalidInput(f"an event needs a {name}", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {name} is limited to {limit:,} characters", field=field)
    return value


def _checked_place(place: Place) -> Place:
    cleaned = Place(
        _line(place.name, "place name", 200, field="place_name"), _line(place.street, "street address", 300, field="street"),
        _line(place.locality, "town", 200, field="locality"), _line(place.region, "region", 200, field="region"),
        _line(place.postal_code, "postal code", 32, field="postal_code"), _line(place.country, "country", 100, field="country"),
        place.latitude, place.longitude,
    )
    if (cleaned.latitude is None) != (cleaned.longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="latitude")
    if cleaned.latitude is not None:
        if not -90 <= cleaned.latitude <= 90 or not -180 <= cleaned.longitude <= 180:
            raise InvalidInput("latitude must be between -90 and 90 and longitude between -180 and 180", field="latitude")
        if cleaned.empty:
            raise InvalidInput("coordinates need a place name or an address too", field="place_name")
    return cleaned


def _checked_url(url: str | None) -> str | None:
    url = (url or "").strip() or None
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1024:
        raise InvalidInput(f"the online link {url!r} must be an http(s) address of at most 1,024 characters", field="online_url")
    return url


def check_details(details: Details, *, moment: datetime | None = None, require_future: bool = True) -> Details:
    """The details cleaned and in UTC, or InvalidInput saying what is wrong (nothing is stored on error)."""
    moment = moment or now()
    starts, ends = in_zone(details.starts, details.timezone), in_zone(details.ends, details.timezone)
    if ends <= starts:
        raise InvalidInput("the event must end after it starts", field="ends")
    if ends - starts > MAX_DURATION:
        raise InvalidInput("an event may last at most 31 days", field="ends")
    if require_future and starts <= moment:
        raise InvalidInput("the event must start in the future", field="starts")
    if details.join_mode not in JOIN_MODES:
        raise InvalidInput(f"the join mode must be {' or '.join(JOIN_MODES)}")
    capacity = details.capacity
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY):
        raise InvalidInput(f"the capacity must be a whole number from 1 to {MAX_CAPACITY:,} (or none: no limit)", field="capacity")
    reminders = tuple(sorted(set(details.remind_before), reverse=True))
    if any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= MAX_REMINDER_MINUTES for m in reminders):
        raise InvalidInput("reminders are whole numbers of minutes before the start, from 1 to 20,160 (two weeks)", field="remind")
    place = _checked_place(details.place)
    online_url = _checked_url(details.online_url)
    if place.empty and online_url is None:
        raise InvalidInput("an event needs a place (name or address) or an online link", field="place_name")
    description = (details.description or "").strip()
    if len(description) > 10_000:
        raise InvalidInput("the description is limited to 10,000 characters", field="description")
    return replace(details, title=_line(details.title, "title", 200, required=True, field="title"), starts=starts, ends=ends,
                   description=description, place=place, online_url=online_url, remind_before=reminders)


def _columns(details: Details) -> dict:
    p = details.place
    return {
        "title": details.title, "description": details.description, "starts_at": details.starts, "ends_at": details.ends,
        "timezone": details.timezone, "place_name": p.name, "street_address": p.street, "locality": p.locality,
        "region": p.region, "postal_code": p.postal_code, "country": p.country, "latitude": p.latitude,
        "longitude": p.longitude, "online_url": details.online_url, "capacity": details.capacity,
        "join_mode": details.join_mode, "remind_before": list(details.remind_before),
    }


async def create_gathering(group: Group, details: Details, *, image: MediaFile | None = None,
                           by: Account | None = None) -> Gathering:
    """Create an event of ``group`` (organisers only); the group publishes it (event ``gathering.published``)."""
    await require_role(group, by, ORGANISER_ROLES)
    checked = check_details(details)
    async with in_transaction():
        gathering = await Gathering.create(group=group, image=image, created_by=by, state="scheduled", reminded=[],
                                           sequence=0, **_columns(checked))
        await events.record("gathering.published", group, gathering_id=gathering.id)
    return gathering


def _changes(before: Details, after: Details) -> list[str]:
    changed = []
    if (before.starts, before.ends, before.timezone) != (after.starts, after.ends, after.timezone):
        changed.append("time")
    if (before.place, before.online_url) != (after.place, after.online_url):
        changed.append("place")
    if any(getattr(before, f.name) != getattr(after, f.name)
           for f in dataclass_fields(Details) if f.name not in ("starts", "ends", "timezone", "place", "online_url")):
        changed.append("details")
    return changed


async def edit_gathering(gathering: Gathering, details: Details, *, image: MediaFile | None = None,
                         by: Account | None = None) -> list[str]:
    """Change an event (organisers only); returns what changed (time, place, details).

    A change goes out as an ``Update``; a change of time or place also reaches everyone going by
    direct message. More places move the waiting list up in arrival order; fewer places never
    take a place from someone already going.
    """
    group = await Group.get(id=gathering.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    if gathering.state != "scheduled":
        raise Conflict("this event is cancelled and can no longer be changed")
    if gathering.ends_at <= now():
        raise Conflict("this event is over and can no longer be changed")
    checked = check_details(details, require_future=False)
    changed = _changes(check_details(details_of(gathering), require_future=False), checked)
    if "time" in changed and checked.starts <= now():
        raise InvalidInput("the event must start in the future")
    if image is not None:
        changed = sorted(set(changed) | {"details"})
    if not changed:
        return []
    async with in_transaction():
        locked = await Gathering.filter(id=gathering.id).select_for_update().first()
        for key, value in _columns(checked).items():
            setattr(locked, key, value)
        if image is not None:
            locked.image = image
        if "time" in changed:
            locked.reminded = []
        if "time" in changed or "place" in changed:
            locked.sequence += 1
        await locked.save()
        await events.record("gathering.updated", group, gathering_id=gathering.id, changed=changed)
        await fill_places(locked, group)
    await gathering.refresh_from_db()
    return changed


async def going_count(gathering: Gathering) -> int:
    """People going (the participantCount published with the event)."""
    return await Rsvp.filter(gathering_id=gathering.id, status="going").count()


async def fill_places(gathering: Gathering, group: Group) -> list[Rsvp]:
    """Move the waiting list up, in arrival order, into free places; call in the transaction holding the event's lock.

    Each person moved up gets ``gathering.rsvp`` {promoted: true} (a direct message saying a place opened up).
    """
    promoted: list[Rsvp] = []
    if gathering.state != "scheduled":
        return promoted
    free = None if gathering.capacity is None else gathering.capacity - await going_count(gathering)
    while free is None or free > 0:
        nxt = await Rsvp.filter(gathering_id=gathering.id, status="waiting").order_by("arrived_at", "id").first()
        if nxt is None:
            break
        nxt.status = "going"
        await nxt.save(update_fields=["status", "updated_at"])
        await events.record("gathering.rsvp", group, gathering_id=gathering.id, rsvp_id=nxt.id, previous="waiting",
                            promoted=True)
        promoted.append(nxt)
        free = None if free is None else free - 1
    return promoted


async def cancel_gathering(gathering: Gathering, *, by: Account | None = None) -> Gathering:
    """Cancel an event (organisers only): an ``Update`` with status CANCELLED, and a direct message to people going."""
    group = await Group.get(id=gathering.group_id)
    await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        locked = await Gathering.filter(id=gathering.id).select_for_update().first()
        GATHERING.check(locked.state, "cancelled")
        locked.state, locked.cancelled_at, locked.sequence = "cancelled", now(), locked.sequence + 1
        await locked.save(update_fields=["state", "cancelled_at", "sequence", "updated_at"])
        await events.record("gathering.cancelled", group, gathering_id=gathering.id)
    await gathering.refresh_from_db()
    return gathering


async def get_gathering(gathering_id: int, *, group: Group | None = None) -> Gathering:
    """The event with this id (in ``group`` when given), or NotFound."""
    gathering = await Gathering.get_or_none(id=gathering_id)
    if gathering is None or (group is not None and gathering.group_id != group.id):
        raise NotFound(f"no event #{gathering_id}")
    return gathering


async def list_gatherings(group: Group, *, upcoming: bool = True) -> list[Gathering]:
    """The group's events in start order: those not over yet (``upcoming``) or all of them."""
    query = Gathering.filter(group=group)
    if upcoming:
        query = query.filter(ends_at__gt=now())
    return await query.order_by("starts_at", "id").prefetch_related("image")


async def upcoming_across_hub(*, limit: int = 100) -> list[Gathering]:
    """Scheduled events of the hub's public groups that are not over, soonest first."""
    return await (Gathering.filter(state="scheduled", ends_at__gt=now(), group__visibility="public")
                  .order_by("starts_at", "id").limit(limit).prefetch_related("group"))


def local_when(gathering: Gathering, language: str | None = None, zone_name: str | None = None) -> str:
    """When, in ``zone_name`` (the event's own zone by default), the zone named.

    Without ``language``: ``Sat 12 Dec 2026, 18:00–20:00 (Europe/Lisbon)`` (the CLI and the event's own
    objects); with it, dates and times as that language writes them (CLDR, through Babel), for people:
    ``12 dic 2026, 18:00–20:00 (Europe/Lisbon)``.
    """
    name = zone_name or gathering.timezone
    zone = time_zone(name) if zone_name is None else timezones.zone(zone_name)
    start, end = gathering.starts_at.astimezone(zone), gathering.ends_at.astimezone(zone)
    if language is None:
        tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%a %d %b %Y, %H:%M")
        return f"{start.strftime('%a %d %b %Y, %H:%M')}–{tail} ({name})"
    locale = Locale.parse(language)
    day = lambda moment: format_date(moment, "medium", locale=locale)  # noqa: E731 - two one-line formats
    hour = lambda moment: format_time(moment, "short", locale=locale)  # noqa: E731
    tail = hour(end) if end.date() == start.date() else f"{day(end)}, {hour(end)}"
    return f"{day(start)}, {hour(start)}–{tail} ({name})"


def where(gathering: Gathering) -> str:
    """Where, as one line: the place, the online link, or both."""
    return " · ".join(p for p in (place_of(gathering).one_line(), gathering.online_url or "") if p)


# --- reminders ------------------------------------------------------------------------------------


def due_reminder(gathering: Gathering, moment: datetime) -> tuple[int, list[int]] | None:
    """The reminder to send now (minutes before) and every reminder it settles, or None.

    Reminders whose time passed together are settled by one message (the nearest), so an event
    created an hour before it starts does not also get the "tomorrow" reminder.
    """
    if gathering.state != "scheduled" or moment >= gathering.starts_at:
        return None
    sent = set(gathering.reminded or [])
    due = [m for m in gathering.remind_before or [] if m not in sent and moment >= gathering.starts_at - timedelta(minutes=m)]
    return (min(due), due) if due else None


async def queue_due_reminders(moment: datetime | None = None) -> int:
    """Record ``gathering.reminder`` for each event whose reminder time came (the worker calls this); how many.

    Each event is locked while its reminder is settled, so however many workers look, one sends it.
    """
    moment = moment or now()
    window = moment + timedelta(minutes=MAX_REMINDER_MINUTES)
    candidates = await Gathering.filter(state="scheduled", starts_at__gt=moment, starts_at__lte=window).values_list("id", flat=True)
    queued = 0
    for gathering_id in candidates:
        async with in_transaction():
            gathering = await Gathering.filter(id=gathering_id).select_for_update().first()
            reminder = due_reminder(gathering, moment) if gathering else None
            if reminder is None:
                continue
            minutes, settled = reminder
            gathering.reminded = sorted(set(gathering.reminded or []) | set(settled), reverse=True)
            await gathering.save(update_fields=["reminded", "updated_at"])
            group = await Group.get(id=gathering.group_id)
            await events.record("gathering.reminder", group, gathering_id=gathering.id, minutes=minutes)
            queued += 1
    return queued


# --- events of followed groups --------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteDetails:
    """An Event published by a followed group, as plain values (federation maps the wire to this)."""

    uri: str
    title: str
    starts: datetime
    ends: datetime | None = None
    url: str | None = None
    summary: str = ""
    timezone: str | None = None
    place: str = ""
    online_url: str | None = None
    cancelled: bool = False
    participant_count: int = 0
    capacity: int | None = None


async def followers_of(origin: Account) -> list[Group]:
    """Local groups whose follow of ``origin`` was accepted."""
    rows = await GroupFollow.filter(target=origin, state="accepted").prefetch_related("group")
    return [row.group for row in rows]


async def store_remote(origin: Account, details: RemoteDetails) -> RemoteGathering:
    """Store (or update) an Event of a followed group; PermissionDenied when no local group follows its origin."""
    if not await followers_of(origin):
        raise PermissionDenied("no group on this hub follows the event's publisher")
    existing = await RemoteGathering.get_or_none(uri=details.uri)
    if existing is not None and existing.origin_id != origin.id:
        raise PermissionDenied("only the event's publisher may change it")
    if details.ends is not None and details.ends <= details.starts:
        raise InvalidInput("the event ends before it starts")
    zone = details.timezone
    if zone is not None:
        try:
            time_zone(zone)
        except InvalidInput:
            zone = None
    values = {
        "origin": origin, "url": details.url, "title": details.title[:200] or "(untitled)", "summary": details.summary[:2000],
        "starts_at": details.starts, "ends_at": details.ends, "timezone": zone, "place": details.place[:500],
        "online_url": details.online_url, "state": "cancelled" if details.cancelled else "scheduled",
        "participant_count": max(0, details.participant_count), "capacity": details.capacity or None,
    }
    if existing is None:
        return await RemoteGathering.create(uri=details.uri, **values)
    existing.update_from_dict(values)
    await existing.save()
    return existing


async def forget_remote(origin: Account, uri: str) -> bool:
    """Drop a followed group's event it deleted; whether there was one."""
    return bool(await RemoteGathering.filter(uri=uri, origin=origin).delete())


async def followed_gatherings(group: Group, *, limit: int = 50) -> list[RemoteGathering]:
    """Events of the groups ``group`` follows that are not over, soonest first, with their origin."""
    origins = await GroupFollow.filter(group=group, state="accepted").values_list("target_id", flat=True)
    if not origins:
        return []
    moment = now()
    not_over = Q(ends_at__gt=moment) | Q(ends_at__isnull=True, starts_at__gt=moment - REMOTE_HORIZON)
    return await (RemoteGathering.filter(not_over, origin_id__in=list(origins)).order_by("starts_at", "id")
                  .limit(limit).prefetch_related("origin"))
