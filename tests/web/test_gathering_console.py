"""The events console: organisers create, change and cancel events and approve answers; bad input is refused, nothing stored."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from hub.clock import now
from hub.errors import InvalidInput
from hub.models import Event, Gathering, MediaFile, Membership
from hub.services import gatherings, rsvps
from web.gathering_console import details_from

pytestmark = pytest.mark.db
BASE = "/console/groups/aid/events"


def png() -> bytes:
    """A small PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "teal").save(out, "PNG")
    return out.getvalue()


def form(**changes) -> dict:
    """A valid event form: next week, 18:00-20:00 in Lisbon, at a named place, 30 places."""
    day = (now() + timedelta(days=7)).date().isoformat()
    data = {"title": "Assembly", "starts": f"{day}T18:00", "ends": f"{day}T20:00", "timezone": "Europe/Lisbon",
            "place_name": "Casa do Povo", "locality": "Lisboa", "capacity": "30", "join_mode": "restricted", "remind": "1440 60"}
    return {**data, **changes}


async def owner_scene(web):
    """aid owned by olivia (signed in); mallory a plain member."""
    olivia, mallory = await web.person("olivia"), await web.person("mallory")
    group = await web.group_with("aid", name="Mutual Aid", role_of={olivia: "owner", mallory: "member"})
    await web.sign_in(olivia)
    return group, olivia, mallory


@pytest.mark.parametrize(("changes", "message"), [
    ({"ends": "2000-01-01T10:00"}, "must end after it starts"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"place_name": "", "locality": ""}, "a place (name or address) or an online link"),
    ({"capacity": "0"}, "capacity must be a whole number"),
    ({"latitude": "95", "longitude": "10"}, "latitude must be between"),
    ({"starts": "yesterday"}, "is not a date and time"),
    ({"online_url": "javascript:alert(1)"}, "must be an http(s) address"),
])
async def test_bad_events_are_refused_with_a_message(web, changes, message) -> None:
    """Each bad value comes back as a notice naming the problem; no event and no domain event is stored."""
    await owner_scene(web)
    response = await web.post_form(BASE, form(**changes), token_from=BASE, follow_redirects=True)
    assert message in response.text
    assert await Gathering.all().count() == 0 and await Event.filter(kind__startswith="gathering.").count() == 0


async def test_owner_creates_changes_approves_and_cancels(web) -> None:
    """Create (times read in Lisbon), approve an answer, move the time (people going are told), then cancel."""
    group, olivia, _ = await owner_scene(web)
    assert (await web.post_form(BASE, form(), token_from=BASE)).status_code == 303
    event = await Gathering.get(title="Assembly")
    assert event.starts_at.astimezone(gatherings.time_zone("Europe/Lisbon")).hour == 18 and event.join_mode == "restricted"
    assert event.remind_before == [1440, 60] and event.created_by_id == olivia.id
    answer = (await rsvps.respond(event, await web.person("zoe"), "going", via="join")).rsvp
    assert "Awaiting approval" in (await web.client.get(BASE)).text
    await web.post_form(f"{BASE}/{event.id}/answers/{answer.id}/approve", token_from=BASE)
    assert (await rsvps.counts(event)).going == 1
    moved = form(starts=form()["starts"].replace("18:00", "19:00"), ends=form()["ends"].replace("20:00", "21:00"))
    await web.post_form(f"{BASE}/{event.id}/edit", moved, token_from=BASE)
    update = await Event.filter(kind="gathering.updated").order_by("-id").first()
    assert update.payload["changed"] == ["time"]
    assert (await Gathering.get(id=event.id)).sequence == 1
    await web.post_form(f"{BASE}/{event.id}/cancel", token_from=BASE)
    assert (await Gathering.get(id=event.id)).state == "cancelled"


async def test_members_who_are_not_organisers_are_refused(web) -> None:
    """A plain member gets 403 on the page and every form; nothing is stored."""
    group, _, mallory = await owner_scene(web)
    event = await gatherings.create_gathering(group, gatherings.Details(
        title="Existing", starts=now() + timedelta(days=3), ends=now() + timedelta(days=3, hours=1), timezone="UTC",
        place=gatherings.Place(name="Hall")))
    await web.sign_in(mallory)
    assert (await web.client.get(BASE)).status_code == 403
    for path in (BASE, f"{BASE}/{event.id}/edit", f"{BASE}/{event.id}/cancel"):
        assert (await web.post_form(path, form(title="Hijack"), token_from="/console")).status_code == 403, path
    assert (await Gathering.get(id=event.id)).state == "scheduled" and not await Gathering.filter(title="Hijack").exists()
    assert await Membership.filter(account=mallory, role="member").exists()


async def test_event_image_needs_alt_text_and_goes_out_with_it(web) -> None:
    """An image without alt text is refused (nothing stored); with it, the Event carries it as a Document named by the alt text."""
    await owner_scene(web)
    image = {"image": ("p.png", png(), "image/png")}
    refused = await web.post_form(BASE, form(), files=image, token_from=BASE)
    assert refused.status_code == 400 and "alt text" in refused.text and await Gathering.all().count() == 0
    done = await web.post_form(BASE, form(alt="Neighbours around a table"), files=image, token_from=BASE)
    assert done.status_code == 303
    event = await Gathering.get(title="Assembly")
    doc = (await web.client.get(f"/groups/aid/objects/event/{event.id}", headers={"Accept": "application/activity+json"})).json()
    [picture] = [a for a in doc["attachment"] if a["type"] == "Document"]
    assert picture["name"] == "Neighbours around a table" and picture["mediaType"] == "image/png"
    assert 'alt="Neighbours around a table"' in (await web.client.get(f"/groups/aid/events/{event.id}")).text


async def test_a_file_that_is_no_image_is_refused_beside_the_image_input(web) -> None:
    """A text file in the image input: 400, nothing stored, the error next to the file input (marked invalid), the rest as typed."""
    await owner_scene(web)
    refused = await web.post_form(BASE, form(alt="Chairs"), files={"image": ("notes.png", b"not an image at all", "image/png")},
                                  token_from=BASE)
    assert refused.status_code == 400 and await Gathering.all().count() == 0 and await MediaFile.all().count() == 0
    image_input = re.search(r'<input id="[^"]*image" name="image"[^>]*>', refused.text)
    assert image_input and 'aria-invalid="true"' in image_input.group(0)
    assert 'value="Assembly"' in refused.text and 'value="Chairs"' in refused.text


async def test_an_event_refused_after_its_image_was_stored_leaves_no_image(web) -> None:
    """A title over the limit is refused by the service after the image was stored: the image goes again, on create and edit."""
    await owner_scene(web)
    image = {"image": ("p.png", png(), "image/png")}
    refused = await web.post_form(BASE, form(title="x" * 400, alt="Chairs in a circle"), files=image, token_from=BASE)
    assert refused.status_code == 400 and await Gathering.all().count() == 0 and await MediaFile.all().count() == 0
    assert (await web.post_form(BASE, form(), token_from=BASE)).status_code == 303
    event = await Gathering.get(title="Assembly")
    edited = await web.post_form(f"{BASE}/{event.id}/edit", form(title="y" * 400, alt="Chairs"), files=image, token_from=BASE)
    assert edited.status_code == 400 and await MediaFile.all().count() == 0
    assert (await Gathering.get(id=event.id)).title == "Assembly"


def test_details_from_the_form() -> None:
    """The form's fields become the event's details: local times without a zone, numbers, reminders, join mode."""
    parsed = details_from(form(latitude="38.7", longitude="-9.1", online_url=""))
    assert (parsed.starts.tzinfo, parsed.starts.hour, parsed.capacity, parsed.join_mode) == (None, 18, 30, "restricted")
    assert parsed.remind_before == (1440, 60) and parsed.place.latitude == 38.7 and parsed.online_url is None
    with pytest.raises(InvalidInput, match="reminders are whole numbers"):
        details_from(form(remind="a day"))
    with pytest.raises(InvalidInput, match="capacity 'ten' is not a number"):
        details_from(form(capacity="ten"))
