"""The organisers' events console: create, change and cancel gatherings (a group's events), approve answers.

Same rules as ``web.console``: signed-in organiser, CSRF-checked form, one service call,
post/redirect/get with a one-time notice. Times are typed in the event's time zone; an image
needs its alt text. Errors (a malformed date, an end before the start, an unknown time zone, a file
that is not an image…) give the page again (400) with the form as typed and the error next to its
field (web.form_errors); nothing is stored.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import HubError, InvalidInput, NotFound
from hub.models import MediaFile, Rsvp
from hub.services import gatherings, rsvps
from hub.services.gatherings import Details, Place
from hub.services.members import ORGANISER_ROLES
from web.campaign_console import upload_form, uploaded_image
from web.console import back as console_back
from web import form_errors
from web.console import carry_out, console_group
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for
from web.rendering import flash, render

SECTION = "/events"


def routes(group_console: str) -> list[Route]:
    """The events console's routes under ``/console/groups/{slug}``."""
    base = f"{group_console}/events"
    return [
        Route(base, console_page, name="console_events"),
        Route(base, create_event, methods=["POST"], name="console_event_create"),
        Route(f"{base}/{{event_id:int}}/edit", edit_event, methods=["POST"], name="console_event_edit"),
        Route(f"{base}/{{event_id:int}}/cancel", cancel_event, methods=["POST"], name="console_event_cancel"),
        Route(f"{base}/{{event_id:int}}/answers/{{rsvp_id:int}}/{{action}}", decide, methods=["POST"], name="console_event_answer"),
    ]


def back(request: Request) -> RedirectResponse:
    """Post/redirect/get to the events console."""
    return console_back(request, SECTION)


FIELDS = ("title", "description", "starts", "ends", "timezone", "place_name", "street", "postal_code", "locality", "region",
          "country", "latitude", "longitude", "online_url", "capacity", "join_mode", "remind", "image", "alt")
"""The form's fields, the file input included (its error is shown beside it; a file is never typed back)."""


def _text(form, key: str, limit: int = 300) -> str:
    """The field as typed, one character over its limit at most: a longer text reaches the service, which refuses it."""
    return str(form.get(key, ""))[:limit + 1]


def _local(form, key: str) -> datetime:
    text = _text(form, key, 40).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)", field=key) from None
    return moment.replace(tzinfo=None)


def _number(form, key: str, kind=int):
    text = _text(form, key, 32).strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput(f"{key.replace('_', ' ')} {text[:32]!r} is not a number", field=key) from None


def _minutes(form) -> tuple[int, ...]:
    text = _text(form, "remind", 100).replace(",", " ").split()
    if not text:
        return ()
    if not all(part.isdigit() for part in text):
        raise InvalidInput("reminders are whole numbers of minutes before the start, such as 1440 60", field="remind")
    return tuple(int(part) for part in text)


def details_from(form) -> Details:
    """The event's details from the console form (times typed in its time zone); InvalidInput when malformed."""
    place = Place(_text(form, "place_name", 200), _text(form, "street"), _text(form, "locality", 200), _text(form, "region", 200),
                  _text(form, "postal_code", 32), _text(form, "country", 100), _number(form, "latitude", float),
                  _number(form, "longitude", float))
    return Details(
        title=_text(form, "title", 200), starts=_local(form, "starts"), ends=_local(form, "ends"),
        timezone=_text(form, "timezone", 64).strip(), description=_text(form, "description", 10_000), place=place,
        online_url=_text(form, "online_url", 1024) or None, capacity=_number(form, "capacity"),
        join_mode="restricted" if form.get("join_mode") == "restricted" else "free", remind_before=_minutes(form),
    )


async def console_page(request: Request) -> Response:
    """GET /console/groups/{slug}/events: the group's events with their counts and answers awaiting approval."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    return await _page(request, group, role)


async def _page(request: Request, group, role: str, *, status: int = 200, typed_for: str | int | None = None,
                typed: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response:
    """The events console; ``typed`` are the values of the form ``typed_for`` ("new" or an event id) as typed, ``errors`` its field errors."""
    rows = await gatherings.list_gatherings(group)
    return await render(
        request, "gathering/console.html", status=status, group=group, role=role, section="events", events=rows,
        typed_for=typed_for, typed=typed or {}, errors=errors or {},
        tallies={g.id: await rsvps.counts(g) for g in rows}, people={g.id: await rsvps.people(g) for g in rows},
        local_input=lambda g, moment: moment.astimezone(gatherings.time_zone(g.timezone)).strftime("%Y-%m-%dT%H:%M"),
        place_of=gatherings.place_of,
    )


async def _refused(request: Request, group, role: str, typed_for: str | int, form, exc: HubError | UploadRejected,
                   image: MediaFile | None) -> Response:
    """The events console again (400) with the form ``typed_for`` as typed and the error next to its field."""
    return await _page(request, group, role, status=400, typed_for=typed_for,
                       **await form_errors.refused(request, exc, form, FIELDS, images=[image]))


async def create_event(request: Request) -> Response:
    """POST …/events: a new event, published to members' servers (Event and poll)."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    image = None
    try:
        details = details_from(form)
        image = await uploaded_image(request, form)
        await gatherings.create_gathering(group, details, image=image, by=account)
    except (HubError, UploadRejected) as exc:
        return await _refused(request, group, role, "new", form, exc, image)
    request.app.state.federation.wake_worker()
    flash(request, _("The event was created and sent to the members."))
    return back(request)


async def edit_event(request: Request) -> Response:
    """POST …/events/{id}/edit: change an event; a new time or place reaches people going by direct message."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await upload_form(request)
    _ = gettext_for(request)
    gathering = await gatherings.get_gathering(request.path_params["event_id"], group=group)
    image = None
    try:
        details = details_from(form)
        image = await uploaded_image(request, form)
        changed = await gatherings.edit_gathering(gathering, details, image=image, by=account)
    except (HubError, UploadRejected) as exc:
        return await _refused(request, group, role, gathering.id, form, exc, image)
    request.app.state.federation.wake_worker()
    flash(request, _("The event was changed.") if changed else _("Nothing changed."))
    return back(request)


async def cancel_event(request: Request) -> Response:
    """POST …/events/{id}/cancel: cancel an event (an Update, and a direct message to people going)."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    gathering = await gatherings.get_gathering(request.path_params["event_id"], group=group)
    return await carry_out(request, gatherings.cancel_gathering(gathering, by=account), _("The event was cancelled."), SECTION)


async def decide(request: Request) -> Response:
    """POST …/events/{id}/answers/{rsvp_id}/approve|refuse: an organiser decides on an answer awaiting approval."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    await checked_form(request)
    _ = gettext_for(request)
    gathering = await gatherings.get_gathering(request.path_params["event_id"], group=group)
    row = await Rsvp.get_or_none(id=request.path_params["rsvp_id"], gathering_id=gathering.id)
    action = request.path_params["action"]
    if row is None or action not in ("approve", "refuse"):
        raise NotFound("no such answer to decide on")
    decision = rsvps.approve(gathering, row, by=account) if action == "approve" else rsvps.refuse(gathering, row, by=account)
    return await carry_out(request, decision, _("Saved."), SECTION)

