"""Gatherings on the wire: a group's events as Mobilizon-shaped ``Event`` objects, RSVPs from every app.

*Gathering* is the domain's name for an event (``hub.models.gathering``); it is never one of the
domain events of the outbox (``hub.models.Event``), which is why this module is not called events.

Outbound (:data:`OUTBOUND_HANDLERS`): the group publishes a gathering as an ``Event`` shaped as
Mobilizon publishes it (startTime, endTime, timezone, location as a ``Place`` with a
``PostalAddress``, joinMode, maximumAttendeeCapacity, participantCount, ical:status) to servers that
understand events (Mobilizon, Friendica, Causeway, other group-aware software), and as a
``Question`` with the options "Going", "Maybe", "Can't go" to microblogs (Mastodon shows the poll;
a vote is an RSVP). Changes, cancellations and new counts go out as ``Update`` of both; changes of
time or place, cancellations and reminders also reach everyone going by direct message. A ``Join``
is answered with ``Accept`` (a place) or ``Reject`` (refused), as Mobilizon expects.

Inbound (:data:`FEATURE`, assembled by federation.registry): ``Join``/``Leave`` (Mobilizon),
``Accept``/``TentativeAccept``/``Reject`` of the event and ``Undo`` of them (Friendica and others;
``Accept`` and ``Reject`` run first and leave what names no local event to their owners), a vote in
the poll or a reply ("going", "maybe", "can't go" in several languages) through the ``reply`` hook
point; and ``Create``/``Update``/``Delete`` of an ``Event`` by a group a local group follows, stored
to list it with its origin.
"""

from __future__ import annotations

import gettext
import html
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation import activities
from federation.campaign_objects import create_of, image_attachment, local_object, public_addressing, update_of
from federation.context import Federation
from federation.delivery import enqueue
from federation.direct import Compose, direct_message
from federation.audience import group_audience, is_blocked
from federation.handling import ANY, Feature, First, Incoming, Outcome, done, ignored
from federation.fetch import host_of
from federation.nodeinfo import announce_form, peer_software
from federation.remote import account_for
from federation.sanitize import off_loop, plain_text
from federation.urls import Urls
from federation.vocab import content_and_language, id_of, is_http_id, parse_time, type_of
from hub.errors import Conflict, HubError, InvalidInput, PermissionDenied
from hub.languages import Catalogs
from hub.models import DomainBlock, Event, Gathering, Group, MediaFile, RemoteActor, RemoteGathering, Rsvp
from hub.services import gatherings, rsvps
from hub.services.gatherings import RemoteDetails, local_when, place_of, where

KINDS = ("event", "eventpoll")
"""The group's own objects of a gathering: ``{group}/objects/event/{id}`` (Event) and ``…/eventpoll/{id}`` (Question)."""
MOBILIZON_CONTEXT = {
    "sc": "http://schema.org#", "mz": "https://joinmobilizon.org/ns#", "ical": "http://www.w3.org/2002/12/cal/ical#",
    "PostalAddress": "sc:PostalAddress", "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
    "streetAddress": "sc:streetAddress", "addressLocality": "sc:addressLocality", "addressRegion": "sc:addressRegion",
    "postalCode": "sc:postalCode", "addressCountry": "sc:addressCountry",
    "location": {"@id": "sc:location", "@type": "sc:Place"}, "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
    "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"}, "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity", "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
    "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
    "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
    "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
    "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
}
"""The JSON-LD terms of Mobilizon's Event extension that Causeway uses (joinmobilizon.org/ns, schema.org)."""
JOIN_MODES = {"free": "free", "restricted": "restricted"}
"""Causeway's join mode -> Mobilizon's joinMode (the same words)."""
ANSWER_OF = {"Accept": "going", "TentativeAccept": "maybe", "Reject": "declined", "Join": "going", "Leave": "declined"}
"""What each RSVP activity means for the event it names."""


# --- ids and pages --------------------------------------------------------------------------------


def object_uri(urls: Urls, slug: str, kind: str, gathering_id: int) -> str:
    """The id of the gathering's Event (``kind="event"``) or poll (``"eventpoll"``)."""
    return f"{urls.group(slug)}/objects/{kind}/{gathering_id}"


def page_url(urls: Urls, slug: str, gathering_id: int) -> str:
    """The HTML page of a gathering."""
    return f"{urls.group(slug)}/events/{gathering_id}"


async def _local_gathering(fed: Federation, uri: str | None) -> Gathering | None:
    ref = local_object(fed.urls, uri, KINDS)
    if ref is None:
        return None
    return await Gathering.get_or_none(id=ref.id, group__slug=ref.slug)


# --- the wire documents -----------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _zoned(moment: datetime, zone: str) -> str:
    """A time with the event's own UTC offset (``2026-12-12T18:00:00+00:00``), as Mobilizon writes it."""
    return moment.astimezone(gatherings.time_zone(zone)).isoformat()


def _description_html(gathering: Gathering, page: str) -> str:
    paragraphs = [p.strip() for p in (gathering.description or "").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return body + f'<p><a href="{html.escape(page)}">{html.escape(page)}</a></p>'


def location_of(gathering: Gathering) -> dict[str, Any] | None:
    """The ``Place`` with its ``PostalAddress`` (and coordinates when given), or None for online-only events."""
    place = place_of(gathering)
    if place.empty:
        return None
    address = {"type": "PostalAddress", "streetAddress": place.street, "addressLocality": place.locality,
               "addressRegion": place.region, "postalCode": place.postal_code, "addressCountry": place.country}
    doc: dict[str, Any] = {"type": "Place", "name": place.name or place.one_line(), "address": address}
    if place.latitude is not None:
        doc["latitude"], doc["longitude"] = place.latitude, place.longitude
    return doc


def event_object(urls: Urls, group: Group, gathering: Gathering, *, going: int, image: MediaFile | None) -> dict[str, Any]:
    """The gathering as the group's ``Event``, shaped as Mobilizon publishes one."""
    page = page_url(urls, group.slug, gathering.id)
    capacity = gathering.capacity or 0
    attachment = image_attachment(urls, image)
    for item in attachment:
        item["type"] = "Document"
    if gathering.online_url:
        attachment.append({"type": "Link", "name": "Website", "mediaType": "text/html", "href": gathering.online_url})
    doc: dict[str, Any] = {
        "id": object_uri(urls, group.slug, "event", gathering.id), "type": "Event", "name": gathering.title,
        "content": _description_html(gathering, page), "mediaType": "text/html", "url": page,
        "attributedTo": urls.group(group.slug), "actor": urls.group(group.slug),
        "startTime": _zoned(gathering.starts_at, gathering.timezone), "endTime": _zoned(gathering.ends_at, gathering.timezone),
        "timezone": gathering.timezone, "isOnline": gathering.online_url is not None and place_of(gathering).empty,
        "joinMode": JOIN_MODES[gathering.join_mode], "maximumAttendeeCapacity": capacity,
        "remainingAttendeeCapacity": max(capacity - going, 0) if capacity else None, "participantCount": going,
        "ical:status": "CANCELLED" if gathering.state == "cancelled" else "CONFIRMED",
        "anonymousParticipationEnabled": False, "commentsEnabled": True, "repliesModerationOption": "allow_all",
        "draft": False, "published": _time(gathering.created_at), "updated": _time(gathering.updated_at),
        "attachment": attachment, **public_addressing(urls, group),
    }
    location = location_of(gathering)
    if location is not None:
        doc["location"] = location
    return doc


def poll_question(urls: Urls, group: Group, gathering: Gathering, tally: rsvps.Counts,
                  t: gettext.NullTranslations) -> dict[str, Any]:
    """The gathering as the group's ``Question`` for microblogs: "Going", "Maybe", "Can't go" (a vote is an RSVP),
    written with ``t``, the translations of the group's language (votes in any of the hub's languages count)."""
    page = page_url(urls, group.slug, gathering.id)
    totals = {"going": tally.going, "maybe": tally.maybe, "declined": tally.declined}  # "Going" counts places taken
    if gathering.capacity:
        places = t.ngettext("%(n)d going of %(places)d place", "%(n)d going of %(places)d places", gathering.capacity)
    else:
        places = t.ngettext("%(n)d going", "%(n)d going", tally.going)
    places %= {"n": tally.going, "places": gathering.capacity or 0}
    if tally.waiting:
        places += ", " + t.ngettext("%(n)d on the waiting list", "%(n)d on the waiting list", tally.waiting) % {"n": tally.waiting}
    if tally.pending:
        places += ", " + t.ngettext("%(n)d awaiting approval", "%(n)d awaiting approval", tally.pending) % {"n": tally.pending}
    if gathering.join_mode == "restricted":
        places += " · " + t.gettext("organisers approve each participant")
    when = local_when(gathering, group.language)
    lines = [f"<strong>{html.escape(gathering.title)}</strong>", html.escape(t.gettext("When: %(when)s") % {"when": when})]
    if where(gathering):
        lines.append(html.escape(t.gettext("Where: %(where)s") % {"where": where(gathering)}))
    lines.append(html.escape(places))
    answer = html.escape(t.gettext("This event is cancelled.") if gathering.state == "cancelled"
                         else t.gettext("Vote in the poll, or reply “going”, “maybe” or “can't go”."))
    content = "<p>" + "<br>".join(lines) + f'</p><p>{answer} <a href="{html.escape(page)}">{html.escape(page)}</a></p>'
    doc: dict[str, Any] = {
        "id": object_uri(urls, group.slug, "eventpoll", gathering.id), "type": "Question",
        "attributedTo": urls.group(group.slug), "url": page, "published": _time(gathering.created_at),
        "content": content, "contentMap": {group.language: content},
        "oneOf": [{"type": "Note", "name": t.gettext(option), "replies": {"type": "Collection", "totalItems": totals[answer_key]}}
                  for option, answer_key in rsvps.POLL_OPTIONS.items()],
        "votersCount": sum(totals.values()) + tally.waiting + tally.pending, "endTime": _time(gathering.ends_at), "sensitive": False,
        **public_addressing(urls, group),
    }
    if gathering.state == "cancelled":
        doc["closed"] = _time(gathering.cancelled_at or gathering.updated_at)
    return doc


async def documents(urls: Urls, catalogs: Catalogs, group: Group, gathering: Gathering) -> tuple[dict, dict]:
    """The current Event and Question of a gathering (fresh counts), the Question in the group's language."""
    tally = await rsvps.counts(gathering)
    image = await MediaFile.get_or_none(id=gathering.image_id) if gathering.image_id else None
    return (event_object(urls, group, gathering, going=tally.going, image=image),
            poll_question(urls, group, gathering, tally, catalogs.get(group.language)))


def poll_options(catalogs: Catalogs) -> dict[str, str]:
    """Every name a poll option has in the hub's languages (a group's language may change), and its answer."""
    return {t.gettext(option): answer for t in catalogs.translations.values() for option, answer in rsvps.POLL_OPTIONS.items()}


async def served_document(urls: Urls, catalogs: Catalogs, group: Group, kind: str, gathering_id: int) -> dict | None:
    """The AS2 document served at a gathering object's id (with @context), or None when there is none."""
    gathering = await Gathering.get_or_none(id=gathering_id, group=group)
    if gathering is None or kind not in KINDS or group.visibility != "public":
        return None
    event, question = await documents(urls, catalogs, group, gathering)
    doc = event if kind == "event" else question
    context = [activities.AS_CONTEXT, MOBILIZON_CONTEXT] if kind == "event" else activities.AS_CONTEXT
    return {"@context": context, **doc}


# --- outbound ---------------------------------------------------------------------------------------


async def _audience(fed: Federation, group: Group, gathering: Gathering) -> dict[str, set[str]]:
    """Inboxes by form: the group's audience (federation.audience), and for public groups the servers of
    everyone who answered (they follow the event), unless the instance or the group blocks them."""
    by_form: dict[str, set[str]] = defaultdict(set)
    for form, inboxes in (await group_audience(fed, group)).forms.items():
        by_form[form].update(inboxes)
    if group.visibility != "public":
        return by_form
    people = await Rsvp.filter(gathering_id=gathering.id).exclude(status="declined").values_list("account_id", flat=True)
    answered = await RemoteActor.filter(account_id__in=list(people), gone=False, peer__blocked=False).values_list(
        "shared_inbox", "inbox", "peer__software", "peer__host")
    blocked = set(await DomainBlock.filter(group=group).values_list("domain", flat=True))
    for shared_inbox, inbox, software, host in answered:
        if not is_blocked(host, blocked):
            by_form[announce_form(software)].add(shared_inbox or inbox)
    return by_form


async def _publish(fed: Federation, group: Group, gathering: Gathering, wrap) -> None:
    """The Event to servers that take events ("activity" form), the Question to microblogs."""
    event, question = await documents(fed.urls, fed.catalogs, group, gathering)
    actor = fed.urls.group(group.slug)
    forms = await _audience(fed, group, gathering)
    for form, doc in (("activity", event), ("object", question)):
        if forms.get(form):
            activity = wrap(doc)
            if form == "activity":
                activity["@context"] = [activities.AS_CONTEXT, MOBILIZON_CONTEXT]
            await enqueue(activity, actor_uri=actor, inboxes=sorted(forms[form]))


async def _tell_people(fed: Federation, group: Group, gathering: Gathering, text: Compose, statuses: tuple[str, ...]) -> None:
    link = page_url(fed.urls, group.slug, gathering.id)
    for account_id in await Rsvp.filter(gathering_id=gathering.id, status__in=list(statuses)).values_list("account_id", flat=True):
        await direct_message(fed, group, account_id, text, link)


async def on_published(fed: Federation, event: Event, group: Group | None) -> None:
    """The group publishes a new gathering: Create of its Event and of its poll."""
    gathering = await Gathering.get(id=event.payload["gathering_id"])
    await _publish(fed, group or await Group.get(id=gathering.group_id), gathering, create_of)


async def on_updated(fed: Federation, event: Event, group: Group | None) -> None:
    """A changed gathering goes out as an Update; a new time or place also reaches people going by direct message."""
    gathering = await Gathering.get(id=event.payload["gathering_id"])
    group = group or await Group.get(id=gathering.group_id)
    await _publish(fed, group, gathering, update_of)
    changed = [c for c in event.payload.get("changed", []) if c in ("time", "place")]
    if changed:
        def text(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
            values = {"title": gathering.title, "when": local_when(gathering, language, zone), "where": where(gathering)}
            if changed == ["time"]:
                message = t.gettext("New time: “%(title)s” is now %(when)s")
            elif changed == ["place"]:
                message = t.gettext("New place: “%(title)s” is now %(when)s")
            else:
                message = t.gettext("New time and place: “%(title)s” is now %(when)s")
            return (message % values) + (", " + values["where"] + "." if values["where"] else ".")

        await _tell_people(fed, group, gathering, text, ("going",))


async def on_cancelled(fed: Federation, event: Event, group: Group | None) -> None:
    """A cancelled gathering: an Update (ical:status CANCELLED, poll closed) and a direct message to people going or waiting."""
    gathering = await Gathering.get(id=event.payload["gathering_id"])
    group = group or await Group.get(id=gathering.group_id)
    await _publish(fed, group, gathering, update_of)
    def text(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        return t.gettext("Cancelled: “%(title)s” (%(when)s) will not take place.") % {
            "title": gathering.title, "when": local_when(gathering, language, zone)}

    await _tell_people(fed, group, gathering, text, ("going", "waiting", "pending"))


async def on_rsvp(fed: Federation, event: Event, group: Group | None) -> None:
    """An answer: a direct message confirming it, Accept/Reject of a Join, and the new counts in an Update."""
    rsvp = await Rsvp.get_or_none(id=event.payload["rsvp_id"]).prefetch_related("account")
    if rsvp is None:
        return
    gathering = await Gathering.get(id=rsvp.gathering_id)
    group = group or await Group.get(id=gathering.group_id)
    async def text(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        return await rsvps.confirmation(gathering, rsvp, promoted=bool(event.payload.get("promoted")), translations=t,
                                        language=language, zone=zone)

    await direct_message(fed, group, rsvp.account_id, text, page_url(fed.urls, group.slug, gathering.id))
    actor = await RemoteActor.get_or_none(account_id=rsvp.account_id, gone=False)
    if actor is not None and rsvp.via == "join" and rsvp.activity_uri and rsvp.status in ("going", "refused"):
        sender = fed.urls.group(group.slug)
        answer = {
            "@context": activities.AS_CONTEXT, "type": "Accept" if rsvp.status == "going" else "Reject",
            "id": f"{object_uri(fed.urls, group.slug, 'event', gathering.id)}#answers/{uuid.uuid4().hex}", "actor": sender,
            "to": [actor.uri], "object": {"type": "Join", "id": rsvp.activity_uri, "actor": actor.uri,
                                          "object": object_uri(fed.urls, group.slug, "event", gathering.id)},
        }
        await enqueue(answer, actor_uri=sender, inboxes=[actor.inbox])
    await _publish(fed, group, gathering, update_of)


async def on_reminder(fed: Federation, event: Event, group: Group | None) -> None:
    """A reminder by direct message to everyone going, a day or an hour (as set) before the start."""
    gathering = await Gathering.get(id=event.payload["gathering_id"])
    if gathering.state != "scheduled":
        return
    group = group or await Group.get(id=gathering.group_id)
    minutes = int(event.payload["minutes"])
    place = f" {where(gathering)}." if where(gathering) else ""

    def text(t: gettext.NullTranslations, language: str, zone: str | None) -> str:
        if minutes % 1440 == 0:
            span = t.ngettext("%(n)d day", "%(n)d days", minutes // 1440) % {"n": minutes // 1440}
        elif minutes % 60 == 0:
            span = t.ngettext("%(n)d hour", "%(n)d hours", minutes // 60) % {"n": minutes // 60}
        else:
            span = t.ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        return t.gettext("Reminder: “%(title)s” starts in %(span)s: %(when)s.") % {
            "title": gathering.title, "span": span, "when": local_when(gathering, language, zone)} + place

    await _tell_people(fed, group, gathering, text, ("going",))


OUTBOUND_HANDLERS = {
    "gathering.published": on_published,
    "gathering.updated": on_updated,
    "gathering.cancelled": on_cancelled,
    "gathering.rsvp": on_rsvp,
    "gathering.reminder": on_reminder,
}
"""Gathering event handlers (the outbound table of :data:`FEATURE`)."""


# --- inbound: answers ---------------------------------------------------------------------------------


async def _answer(fed: Federation, item: Incoming, gathering: Gathering, answer: str, via: str) -> Outcome:
    account = await account_for(fed, item.actor)
    await peer_software(fed, host_of(item.actor))  # which form (Event or poll) its server gets in Updates
    try:
        result = await rsvps.respond(gathering, account, answer, via=via, activity_uri=item.activity.get("id"))
    except (Conflict, PermissionDenied, InvalidInput) as exc:
        return ignored(f"event #{gathering.id}: {exc}")
    state = result.rsvp.status if result.changed else f"still {result.rsvp.status}"
    return done(f"event #{gathering.id}: {state} ({via})")


def _named_event(item: Incoming) -> str | None:
    """The event an RSVP activity names: its object, or (Undo) the object of the activity undone."""
    if type_of(item.activity) == "Undo" and item.obj is not None:
        return id_of(item.obj.get("object"))
    return item.object_id


def _rsvp_handler(via: str, *, owner: bool):
    """A handler for Join/Leave/Accept/TentativeAccept/Reject (and their Undo) naming a local gathering.

    As the owner of its key it ignores, with a reason, what names no local event; as a ``First`` it
    returns None then, so the key's owner (collaboration, relays) takes it.
    """

    async def handle(fed: Federation, item: Incoming) -> Outcome | None:
        gathering = await _local_gathering(fed, _named_event(item))
        if gathering is None:
            return ignored(f"{type_of(item.activity)} of something that is not an event of this hub") if owner else None
        answer = "declined" if type_of(item.activity) == "Undo" else ANSWER_OF[type_of(item.activity) or ""]
        return await _answer(fed, item, gathering, answer, "leave" if type_of(item.activity) == "Undo" else via)

    handle.__doc__ = f"An RSVP by {via} to a local event" + ("." if owner else "; None for anything else.")
    return handle


async def _reply(fed: Federation, item: Incoming, obj: dict, gathering: Gathering) -> Outcome:
    content, _ = content_and_language(obj)
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    if name and not content.strip():
        answer = rsvps.poll_answer(name, poll_options(fed.catalogs))
        if answer is None:
            return ignored(f"event #{gathering.id}: the poll has no option {name[:60]!r}")
        return await _answer(fed, item, gathering, answer, "vote")
    answer = rsvps.answer_in_text(await off_loop(plain_text, content, max_length=2000))
    if answer is None:
        return ignored(f"a reply to event #{gathering.id} that says neither going, maybe nor can't go")
    return await _answer(fed, item, gathering, answer, "reply")


# --- inbound: events of followed groups ---------------------------------------------------------------


def _origin_uri(item: Incoming, obj: dict) -> str:
    author = id_of(obj.get("attributedTo"))
    if author and urlsplit(author).netloc == urlsplit(item.actor).netloc:
        return author
    return item.actor


def remote_details(obj: dict) -> RemoteDetails:
    """An incoming ``Event`` as plain values (Mobilizon's shape, or Causeway's own); InvalidInput when unusable."""
    if not is_http_id(obj.get("id")):
        raise InvalidInput("the Event has no usable id")
    starts, ends = parse_time(obj.get("startTime")), parse_time(obj.get("endTime"))
    if starts is None:
        raise InvalidInput("the Event has no startTime")
    location = obj.get("location") if isinstance(obj.get("location"), dict) else {}
    address = location.get("address") if isinstance(location.get("address"), dict) else {}
    parts = [location.get("name")] + [address.get(k) for k in ("streetAddress", "postalCode", "addressLocality",
                                                                 "addressRegion", "addressCountry")]
    place = ", ".join(dict.fromkeys(plain_text(p, max_length=200) for p in parts if isinstance(p, str) and p.strip()))
    links = [a.get("href") for a in obj.get("attachment") or [] if isinstance(a, dict) and type_of(a) == "Link"]
    online = next((link for link in links if is_http_id(link)), None)
    url = obj.get("url") if is_http_id(obj.get("url")) else None
    content, _ = content_and_language(obj)

    def number(key: str) -> int:
        value = obj.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**9 else 0

    return RemoteDetails(
        uri=obj["id"], title=plain_text(obj.get("name") or "", max_length=200), starts=starts, ends=ends, url=url,
        summary=plain_text(content, max_length=2000), timezone=obj.get("timezone") if isinstance(obj.get("timezone"), str) else None,
        place=place, online_url=online, cancelled=obj.get("ical:status") == "CANCELLED",
        participant_count=number("participantCount"), capacity=number("maximumAttendeeCapacity") or None,
    )


async def _store_event(fed: Federation, item: Incoming, obj: dict) -> Outcome:
    origin = await account_for(fed, _origin_uri(item, obj))
    try:
        stored = await gatherings.store_remote(origin, await off_loop(remote_details, obj))
    except HubError as exc:
        return ignored(f"event of {origin.uri}: {exc}")
    return done(f"event of a followed group stored: {stored.title}")


# --- the feature --------------------------------------------------------------------------------------


async def route_reply(fed: Federation, item: Incoming, obj: dict) -> Outcome | None:
    """Hook point ``reply``: a vote or reply to a local event's poll or Event is an RSVP; None for anything else."""
    gathering = await _local_gathering(fed, id_of(obj.get("inReplyTo")))
    return await _reply(fed, item, obj, gathering) if gathering is not None else None


async def on_create_event(fed: Federation, item: Incoming) -> Outcome:
    """Create of an Event: stored when a local group follows its publisher."""
    return await _store_event(fed, item, item.obj or {})


async def on_update_event(fed: Federation, item: Incoming) -> Outcome:
    """Update of an Event of a followed group (new time, place, counts, cancellation)."""
    return await _store_event(fed, item, item.obj or {})


async def forget_deleted_event(fed: Federation, item: Incoming) -> None:
    """First on Delete: a followed group's deleted Event is dropped; the posts feature's Delete runs as well."""
    target = item.object_id
    known = await RemoteGathering.get_or_none(uri=target).prefetch_related("origin") if is_http_id(target) else None
    if known is not None and urlsplit(known.origin.uri).netloc == urlsplit(item.actor).netloc:
        await gatherings.forget_remote(known.origin, target)


async def queue_due_reminders(fed: Federation) -> int:
    """Queue the reminders of events whose time came (the worker's timer; their DMs follow as events)."""
    return await gatherings.queue_due_reminders()


FEATURE = Feature(
    name="gatherings",
    inbound={
        ("Join", ANY): _rsvp_handler("join", owner=True),
        ("Leave", ANY): _rsvp_handler("leave", owner=True),
        ("TentativeAccept", ANY): _rsvp_handler("tentative", owner=True),
        ("Accept", ANY): First(_rsvp_handler("accept", owner=False)),
        ("Reject", ANY): First(_rsvp_handler("reject", owner=False)),
        **{("Undo", kind): _rsvp_handler("leave", owner=True) for kind in ("Accept", "TentativeAccept", "Join")},
        ("Create", "Event"): on_create_event,
        ("Update", "Event"): on_update_event,
        ("Delete", ANY): First(forget_deleted_event),
    },
    outbound=OUTBOUND_HANDLERS,
    hooks={"reply": route_reply},
    timers=(queue_due_reminders,),
)
"""Events (gatherings): the Event and its poll out, RSVPs and followed groups' Events in."""
