"""Event pages (gatherings): the event page, the group's events section, the hub's upcoming events, ICS feeds
parsed with icalendar, answering on the web, and the Event served at its id."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from hub.clock import now
from hub.models import Account, GroupFollow, Rsvp
from hub.services import gatherings, rsvps
from hub.services.gatherings import RemoteDetails
from tests.hub.gathering_helpers import details
from web.app import routes
from web.gathering_pages import routes as event_routes

pytestmark = pytest.mark.db


async def scene(web):
    """aid (public) with an assembly of two places, alice going; cell (private) with a secret meeting."""
    group = await web.group_with("aid", name="Mutual Aid")
    event = await gatherings.create_gathering(group, details(capacity=2, description="Rent strike.\n\nBring a chair."))
    alice = await web.person("alice")
    await rsvps.respond(event, alice, "going", via="join")
    private = await web.group_with("cell", name="Cell", private=True)
    secret = await gatherings.create_gathering(private, details(title="Secret meeting"))
    return group, event, secret


async def test_event_page_group_section_and_upcoming_agree(web) -> None:
    """The event page, the group page's events section and /events show the same count."""
    group, event, secret = await scene(web)
    page = await web.client.get(f"/groups/aid/events/{event.id}")
    assert page.status_code == 200
    assert "Neighbourhood assembly" in page.text and "1 going" in page.text and "Casa do Povo" in page.text
    assert gatherings.local_when(event, "en") in page.text and "(Europe/Lisbon)" in page.text  # as English writes it
    assert "Bring a chair." in page.text and "Alice" in page.text
    spanish = await web.client.get(f"/groups/aid/events/{event.id}", headers={"Accept-Language": "es"})
    assert gatherings.local_when(event, "es") in spanish.text  # a Spanish reader reads the date as Spanish writes it
    group_page = (await web.client.get("/groups/aid")).text
    assert "Neighbourhood assembly" in group_page and "1 going" in group_page and "/groups/aid/events.ics" in group_page
    upcoming = (await web.client.get("/events")).text
    assert "Neighbourhood assembly" in upcoming and "Mutual Aid" in upcoming and "Secret meeting" not in upcoming
    assert (await web.client.get(f"/groups/cell/events/{secret.id}")).status_code == 404


async def test_ics_feeds_parse_with_icalendar(web) -> None:
    """The group's and the event's ICS feeds parse; times, place, status and sequence are right; cancellation shows."""
    group, event, _ = await scene(web)
    other = await gatherings.create_gathering(group, details(title="Clean-up; river, bank", online_url="https://meet.example/x",
                                                             description="Gloves\\boots, \"bags\""))
    await gatherings.cancel_gathering(other)
    feed = await web.client.get("/groups/aid/events.ics")
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    found = {str(v["SUMMARY"]): v for v in calendar.walk("VEVENT")}
    assert set(found) == {"Neighbourhood assembly", "Clean-up; river, bank"}
    assembly = found["Neighbourhood assembly"]
    assert assembly["DTSTART"].dt == event.starts_at and assembly["DTEND"].dt == event.ends_at
    assert "Casa do Povo" in str(assembly["LOCATION"]) and assembly["GEO"].latitude == pytest.approx(38.72)
    assert str(assembly["UID"]).endswith(f"/groups/aid/objects/event/{event.id}")
    assert "Bring a chair." in str(assembly["DESCRIPTION"]) and str(assembly["STATUS"]) == "CONFIRMED"
    cancelled = found["Clean-up; river, bank"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1
    assert 'Gloves\\boots, "bags"' in str(cancelled["DESCRIPTION"])
    single = icalendar.Calendar.from_ical((await web.client.get(f"/groups/aid/events/{event.id}/event.ics")).content)
    assert [str(v["SUMMARY"]) for v in single.walk("VEVENT")] == ["Neighbourhood assembly"]
    assert all(len(line.encode()) <= 75 for line in feed.content.decode().split("\r\n"))


async def test_answering_on_the_web_and_refusals(web) -> None:
    """A signed-in fediverse account answers; a full event puts the next on the waiting list; a cancelled one refuses."""
    group, event, _ = await scene(web)
    bob, carol = await web.person("bob"), await web.person("carol")
    await web.sign_in(bob)
    path = f"/groups/aid/events/{event.id}"
    assert (await web.post_form(f"{path}/rsvp", {"answer": "going"}, token_from=path)).status_code == 303
    await web.sign_in(carol)
    await web.post_form(f"{path}/rsvp", {"answer": "going"}, token_from=path)
    assert (await Rsvp.get(account=carol)).status == "waiting"
    assert "1 on the waiting list" in (await web.client.get(path)).text
    assert (await web.client.post(f"{path}/rsvp", data={"answer": "going", "csrf_token": "forged"})).status_code == 403
    await gatherings.cancel_gathering(event)
    response = await web.post_form(f"{path}/rsvp", {"answer": "maybe"}, token_from=path, follow_redirects=True)
    assert "cancelled" in response.text and (await Rsvp.get(account=carol)).status == "waiting"


async def test_event_object_served_at_its_id(web) -> None:
    """ActivityPub clients get the Event (Mobilizon's context terms) and the poll; browsers are sent to the page."""
    group, event, secret = await scene(web)
    accept = {"Accept": "application/activity+json"}
    doc = (await web.client.get(f"/groups/aid/objects/event/{event.id}", headers=accept)).json()
    assert doc["type"] == "Event" and doc["participantCount"] == 1 and doc["maximumAttendeeCapacity"] == 2
    assert any(isinstance(c, dict) and c.get("joinMode") for c in doc["@context"])
    poll = (await web.client.get(f"/groups/aid/objects/eventpoll/{event.id}", headers=accept)).json()
    assert poll["type"] == "Question" and poll["oneOf"][0]["replies"]["totalItems"] == 1
    assert (await web.client.get(f"/groups/aid/objects/event/{event.id}")).headers["location"].endswith(f"/events/{event.id}")
    assert (await web.client.get(f"/groups/cell/objects/event/{secret.id}", headers=accept)).status_code == 404
    assert (await web.client.get("/groups/aid/objects/event/999", headers=accept)).status_code == 404


async def test_followed_groups_events_listed_with_origin(web) -> None:
    """Events of a group aid follows are listed on its page with where they come from."""
    group, _, _ = await scene(web)
    origin = await Account.create(uri="https://other.example/groups/berlin", handle="berlin@other.example",
                                  display_name="Berlin Housing")
    await GroupFollow.create(group=group, target=origin, follow_uri="https://hub/f/1", state="accepted")
    await gatherings.store_remote(origin, RemoteDetails(uri="https://other.example/groups/berlin/objects/event/4",
                                                        title="Tenants' assembly", starts=now() + timedelta(days=2),
                                                        place="Kiezhaus, Berlin"))
    page = (await web.client.get("/groups/aid/events")).text
    assert "Tenants&#39; assembly" in page and "From Berlin Housing" in page and "Kiezhaus, Berlin" in page
    assert "From Berlin Housing" in (await web.client.get("/groups/aid")).text


def test_event_object_routes_come_before_the_generic_object_route() -> None:
    """/groups/{slug}/objects/event|eventpoll/{id} are matched by the event routes, not the campaign objects' route."""
    paths = [getattr(r, "path", "") for r in routes()]
    for route in event_routes():
        assert route.path in paths
    assert paths.index("/groups/{slug}/objects/event/{event_id:int}") < paths.index("/groups/{slug}/objects/{kind}/{object_id:int}")
