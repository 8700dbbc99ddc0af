"""Console forms that fail keep what was typed and show the error next to its field (status 400), nothing stored:
a too-long group name, a bad date, a file that is not an image; a header image is stored without its metadata."""

from __future__ import annotations

import html
import re

import pytest

from hub.models import Gathering, Group
from tests.web.test_gathering_console import BASE as EVENTS, form as event_form, owner_scene
from tests.web.test_media import jpeg_with_gps, owner_of_climate

pytestmark = pytest.mark.db

LONG_NAME = "Solidarity" * 1000  # 10,000 characters, one unbroken word


def field_error(page: str, field_id: str) -> str:
    """The text of the error shown next to the field ``field_id`` (the field points at it with aria-describedby)."""
    tag = re.search(rf'<[a-z]+ id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0)).group(1).split()
    error_id = next(i for i in described if i.endswith("-error"))
    message = re.search(rf'<p class="error field-error" id="{error_id}" role="alert">(.*?)</p>', page, re.S)
    assert message, f"no error paragraph {error_id}"
    return html.unescape(message.group(1))


async def test_too_long_group_name_is_refused_and_the_form_kept(web_factory) -> None:
    """Creating a group with a 10,000-character name: 400, the form again with the slug and about text as typed and the
    error next to the name; no group created (the name is not cut silently either)."""
    hub = await web_factory(HUB_OPEN_GROUP_CREATION="1")
    alice = await hub.person("alice")
    await hub.sign_in(alice)
    response = await hub.post_form("/console/groups", {"slug": "solidarity", "name": LONG_NAME, "summary": "We *help*."},
                                   token_from="/console")
    assert response.status_code == 400
    assert "limited to 200 characters" in field_error(response.text, "name")
    assert 'value="solidarity"' in response.text and ">We *help*.</textarea>" in response.text
    assert not await Group.filter(slug="solidarity").exists()


async def test_too_long_profile_texts_are_refused_next_to_their_field(web) -> None:
    """The profile form with a 10,000-character name, then a too-long about text: 400 with the error next to that
    field and everything else as typed; the profile is unchanged."""
    await owner_of_climate(web)
    typed = {"name": LONG_NAME, "summary": "New about", "rules": "Be kind", "join_policy": "open", "posting_mode": "members"}
    response = await web.post_form("/console/groups/climate/profile", typed, token_from="/console")
    assert response.status_code == 400
    assert "limited to 200 characters" in field_error(response.text, "name")
    assert ">New about</textarea>" in response.text and ">Be kind</textarea>" in response.text
    long_about = await web.post_form("/console/groups/climate/profile", {**typed, "name": "Climate", "summary": "x" * 5001},
                                     token_from="/console")
    assert long_about.status_code == 400 and "5,000 characters" in field_error(long_about.text, "summary")
    assert 'value="Climate"' in long_about.text
    group = await Group.get(slug="climate")
    assert (group.name, group.summary) == ("Climate", "")


async def test_bad_date_keeps_the_typed_event(web) -> None:
    """An event whose start is not a date: 400, the events console with every typed value in the form and the error
    next to the start field; no event stored."""
    await owner_scene(web)
    typed = event_form(title="Street party", starts="next friday", place_name="Largo do Intendente", remind="30")
    response = await web.post_form(EVENTS, typed, token_from=EVENTS)
    assert response.status_code == 400
    assert "is not a date and time" in field_error(response.text, "new-starts")
    for value in ("Street party", "next friday", "Largo do Intendente", typed["ends"], "Europe/Lisbon", "30"):
        assert f'value="{value}"' in response.text, value
    assert 'id="new-restricted" type="radio" name="join_mode" value="restricted" checked' in response.text
    assert await Gathering.all().count() == 0


async def test_event_end_before_start_is_shown_at_the_end_field(web) -> None:
    """The service's refusal names its field too: an end before the start is shown next to the end."""
    await owner_scene(web)
    response = await web.post_form(EVENTS, event_form(ends="2000-01-01T10:00"), token_from=EVENTS)
    assert response.status_code == 400 and "must end after it starts" in field_error(response.text, "new-ends")


@pytest.mark.parametrize("kind", ["avatar", "header"])
async def test_non_image_upload_keeps_the_form_with_a_field_error(web, kind) -> None:
    """An HTML file sent as the avatar or the header image: 400, the profile page with the error next to that file
    field (not a bare error page); nothing stored."""
    await owner_of_climate(web)
    response = await web.post_form(f"/console/groups/climate/image/{kind}",
                                   files={kind: ("photo.png", b"<html><script>alert(1)</script></html>", "image/png")},
                                   token_from="/console")
    assert response.status_code == 400
    assert "Only PNG, JPEG, GIF and WebP" in field_error(response.text, f"{kind}-file")
    assert 'id="edit-profile"' in response.text  # the whole profile page, its other forms too
    group = await Group.get(slug="climate")
    assert (group.icon_path, group.header_path) == (None, None)


async def test_missing_file_is_a_field_error(web) -> None:
    """Submitting the header form without a file says so next to the field."""
    await owner_of_climate(web)
    response = await web.post_form("/console/groups/climate/image/header", token_from="/console")
    assert response.status_code == 400 and "Choose an image file" in field_error(response.text, "header-file")


async def test_header_image_is_stored_without_metadata_and_shown(web) -> None:
    """A phone photo as header image: stored re-encoded without its GPS EXIF, shown on the group page and in the actor."""
    await owner_of_climate(web)
    data, exif = jpeg_with_gps((1800, 600))
    response = await web.post_form("/console/groups/climate/image/header", files={"header": ("h.jpg", data, "image/jpeg")},
                                   token_from="/console")
    assert response.status_code == 303
    group = await Group.get(slug="climate")
    served = (await web.client.get(f"/media/{group.header_path}")).content
    assert served.startswith(b"\xff\xd8") and exif[:40] not in served and b"Safehouse" not in served and b"SecretCam" not in served
    assert f"/media/{group.header_path}" in (await web.client.get("/groups/climate")).text
    actor = (await web.client.get("/groups/climate", headers={"Accept": "application/activity+json"})).json()
    assert actor["image"]["url"].endswith(group.header_path)


async def test_unknown_image_kind_is_not_found(web) -> None:
    """Only the avatar and the header image can be uploaded."""
    await owner_of_climate(web)
    response = await web.post_form("/console/groups/climate/image/banner", files={"banner": ("a.png", b"x", "image/png")},
                                   token_from="/console")
    assert response.status_code == 404
