"""Public pages of gatherings (a group's events): the event page, the group's events, the hub's upcoming
events, the ICS feeds, answering on the web, and the Event and poll served at their ids.

Gatherings are what people call events; the name keeps them apart from the outbox's domain events.
Each handler parses the path, calls services and renders; events of private groups are not public.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.endpoints import signed_fetch_refusal
from federation.responses import ActivityResponse, fed_of, wants_activity_json
from federation.features.gatherings import KINDS, object_uri, page_url, served_document
from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.models import Gathering, Group
from hub.services import gatherings, groups, rsvps
from web.csrf import checked_form
from web.i18n import gettext_for
from web.ics import MEDIA_TYPE, CalendarEntry, calendar
from web.rendering import flash, render, report_error
from web.sessions import require_account

ICS_HEADERS = {"Cache-Control": "public, max-age=300"}


def routes() -> list[Route]:
    """The routes of the public event pages (before the campaign pages' generic object route)."""
    base = "/groups/{slug}/events"
    return [
        Route("/events", upcoming, name="upcoming_events"),
        Route(base, group_events, name="group_events"),
        Route(f"{base}.ics", group_calendar, name="group_events_ics"),
        Route(f"{base}/{{event_id:int}}", event_page, name="event"),
        Route(f"{base}/{{event_id:int}}/event.ics", event_calendar, name="event_ics"),
        Route(f"{base}/{{event_id:int}}/rsvp", rsvp, methods=["POST"], name="event_rsvp"),
        *[Route(f"/groups/{{slug}}/objects/{kind}/{{event_id:int}}", event_object, name=f"event_object_{kind}") for kind in KINDS],
    ]


async def public_group(request: Request) -> Group:
    """The group of the path; NotFound for private groups (their events are for members)."""
    group = await groups.get_group(request.path_params["slug"])
    if group.visibility != "public":
        raise NotFound("this group's events are for its members only")
    return group


async def _gathering(request: Request) -> tuple[Group, Gathering]:
    group = await public_group(request)
    return group, await gatherings.get_gathering(request.path_params["event_id"], group=group)


def entry(request: Request, group: Group, gathering: Gathering) -> CalendarEntry:
    """The calendar entry of a gathering: its Event id as UID, its page as URL, the group as organiser."""
    urls = request.app.state.urls
    return CalendarEntry(gathering, object_uri(urls, group.slug, "event", gathering.id), page_url(urls, group.slug, gathering.id),
                         group.name, urls.group(group.slug))


async def gathering_section(group: Group) -> dict:
    """What the group page's events section shows: upcoming events with their counts, and followed groups' events."""
    rows = await gatherings.list_gatherings(group)
    return {"events": rows, "tallies": {g.id: await rsvps.counts(g) for g in rows},
            "followed": await gatherings.followed_gatherings(group, limit=10),
            "where": gatherings.where}


async def upcoming(request: Request) -> Response:
    """GET /events: upcoming events of every public group on the hub, soonest first."""
    rows = await gatherings.upcoming_across_hub()
    tallies = {g.id: await rsvps.counts(g) for g in rows}
    return await render(request, "gathering/upcoming.html", events=rows, tallies=tallies,
                        where=gatherings.where)


async def group_events(request: Request) -> Response:
    """GET /groups/{slug}/events: the group's events and those of the groups it follows, with their origin."""
    group = await public_group(request)
    rows = await gatherings.list_gatherings(group, upcoming=request.query_params.get("past") != "1")
    return await render(request, "gathering/group.html", group=group, events=rows,
                        tallies={g.id: await rsvps.counts(g) for g in rows},
                        followed=await gatherings.followed_gatherings(group), where=gatherings.where)


async def event_page(request: Request) -> Response:
    """GET /groups/{slug}/events/{id}: when, where, places, who is going and the waiting list, how to answer."""
    group, gathering = await _gathering(request)
    urls = request.app.state.urls
    return await render(
        request, "gathering/event.html", group=group, event=gathering, tally=await rsvps.counts(gathering),
        people=await rsvps.people(gathering), image=await gathering.image,
        place=gatherings.place_of(gathering), handle=f"@{group.slug}@{request.app.state.settings.domain}",
        event_uri=object_uri(urls, group.slug, "event", gathering.id), options=list(rsvps.POLL_OPTIONS),
        over=gathering.ends_at <= now(),
    )


async def rsvp(request: Request) -> Response:
    """POST /groups/{slug}/events/{id}/rsvp: a signed-in fediverse account answers going, maybe or can't go."""
    account = await require_account(request)
    form = await checked_form(request)
    group, gathering = await _gathering(request)
    _ = gettext_for(request)
    try:
        result = await rsvps.respond(gathering, account, str(form.get("answer", "")), via="web")
    except (Conflict, PermissionDenied, InvalidInput) as exc:
        report_error(request, exc)
    else:
        request.app.state.federation.wake_worker()
        messages = {"going": _("You're going."), "waiting": _("The event is full: you are on the waiting list."),
                    "pending": _("Thanks! The organisers approve each participant."), "maybe": _("Noted: maybe."),
                    "declined": _("Noted: you're not going.")}
        flash(request, messages.get(result.rsvp.status, _("Saved.")))
    return RedirectResponse(f"/groups/{group.slug}/events/{gathering.id}", status_code=303)


async def group_calendar(request: Request) -> Response:
    """GET /groups/{slug}/events.ics: the group's events (upcoming and past) as iCalendar."""
    group = await public_group(request)
    rows = await gatherings.list_gatherings(group, upcoming=False)
    body = calendar(group.name, [entry(request, group, g) for g in rows])
    return Response(body, media_type=MEDIA_TYPE, headers=ICS_HEADERS)


async def event_calendar(request: Request) -> Response:
    """GET /groups/{slug}/events/{id}/event.ics: one event as iCalendar."""
    group, gathering = await _gathering(request)
    return Response(calendar(gathering.title, [entry(request, group, gathering)]), media_type=MEDIA_TYPE, headers=ICS_HEADERS)


async def event_object(request: Request) -> Response:
    """GET /groups/{slug}/objects/event|eventpoll/{id}: the Event or poll as AS2, or the event page for browsers."""
    kind = request.url.path.split("/")[-2]
    group = await Group.get_or_none(slug=request.path_params["slug"])
    if not wants_activity_json(request):
        if group is None:
            raise NotFound("there is no such event")
        return RedirectResponse(f"/groups/{group.slug}/events/{request.path_params['event_id']}", status_code=303)
    refusal = await signed_fetch_refusal(request)
    if refusal is not None:
        return refusal
    doc = await served_document(fed_of(request).urls, fed_of(request).catalogs, group, kind, request.path_params["event_id"]) if group else None
    if doc is None:
        return Response(status_code=404)
    return ActivityResponse(doc, headers={"Vary": "Accept"})
