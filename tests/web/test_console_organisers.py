"""The organisers' console: announcements (images with alt text, content warning, edit, pin, delete) and what waits.

Every POST needs the owner's role and the CSRF token; bad input changes nothing (a refused new announcement
comes back in its form with the error next to its field, other refusals leave a notice).
The counters are counted from the rows (a join request, a report, a held post, a gathered post).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hub.clock import now
from hub.models import Announcement, Event, MediaFile, Membership, OrganiserSettings
from hub.services import campaigns, moderation
from hub.services.posts import PostDraft, submit
from tests.web.test_console_forms import field_error
from web import console_organisers

pytestmark = pytest.mark.db
BASE = "/console/groups/climate"


def png() -> bytes:
    """A small PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "teal").save(out, "PNG")
    return out.getvalue()


async def scene(web):
    """climate, closed and held-first, owned by olivia, with mallory a plain member."""
    olivia, mallory = await web.person("olivia"), await web.person("mallory")
    group = await web.group_with("climate", name="Climate Action", role_of={olivia: "owner", mallory: "member"},
                                 closed=True)
    return olivia, mallory, group


async def test_announcements_posted_edited_pinned_deleted(web) -> None:
    """The owner posts with two images and a content warning, edits, pins, unpins and deletes; events follow each step."""
    olivia, _mallory, _group = await scene(web)
    await web.sign_in(olivia)
    page = await web.client.get(f"{BASE}/announcements")
    assert page.status_code == 200 and "Post as the group" in page.text
    token = await web.csrf(f"{BASE}/announcements")
    # When the owner posts an announcement with two described images and a content warning
    response = await web.client.post(
        f"{BASE}/announcements",
        data={"csrf_token": token, "text": "Assembly on Friday.\n\nBring a friend.", "summary": "Meeting",
              "alt1": "The town hall", "alt2": "A map"},
        files={"image1": ("hall.png", png(), "image/png"), "image2": ("map.png", png(), "image/png")},
    )
    assert response.status_code == 303
    [row] = await Announcement.all()
    assert row.summary == "Meeting" and len(row.media_ids) == 2 and row.state == "published"
    # Then the console and the group's page show it, images with their alt text
    listing = (await web.client.get(f"{BASE}/announcements")).text
    assert "Bring a friend." in listing and 'alt="The town hall"' in listing
    group_page = (await web.client.get("/groups/climate")).text
    assert "Bring a friend." in group_page and "Content warning: Meeting" in group_page and 'alt="A map"' in group_page
    # When it is edited, pinned, unpinned and deleted, each step is recorded for the federation layer
    await web.post_form(f"{BASE}/announcements/{row.id}/edit", {"text": "Assembly moved to Saturday.", "summary": ""},
                        token_from=f"{BASE}/announcements")
    await web.post_form(f"{BASE}/announcements/{row.id}/pin", token_from=f"{BASE}/announcements")
    await row.refresh_from_db()
    assert row.text == "Assembly moved to Saturday." and row.summary is None and row.pinned and len(row.media_ids) == 2
    await web.post_form(f"{BASE}/announcements/{row.id}/unpin", token_from=f"{BASE}/announcements")
    await web.post_form(f"{BASE}/announcements/{row.id}/delete", token_from=f"{BASE}/announcements")
    await row.refresh_from_db()
    assert row.state == "deleted" and not row.pinned
    kinds = [e.kind for e in await Event.filter(kind__startswith="announcement.").order_by("id")]
    assert kinds == ["announcement.published", "announcement.updated", "announcement.pinned", "announcement.unpinned",
                     "announcement.deleted"]
    assert "Assembly moved" not in (await web.client.get("/groups/climate")).text


async def test_bad_announcements_change_nothing(web) -> None:
    """An image without alt text, an empty text, a non-image, a plain member, a missing token: nothing is published."""
    olivia, mallory, _group = await scene(web)
    await web.sign_in(olivia)
    token = await web.csrf(f"{BASE}/announcements")
    no_alt = await web.client.post(f"{BASE}/announcements", data={"csrf_token": token, "text": "Hi"},
                                   files={"image1": ("a.png", png(), "image/png")})
    assert no_alt.status_code == 400 and "alt text" in field_error(no_alt.text, "announcement-alt1")
    await web.client.post(f"{BASE}/announcements", data={"csrf_token": token, "text": "   "})
    not_image = await web.client.post(f"{BASE}/announcements", data={"csrf_token": token, "text": "Hi", "alt1": "x"},
                                      files={"image1": ("a.png", b"not an image at all", "image/png")})
    assert not_image.status_code == 400 and "PNG, JPEG, GIF and WebP" in field_error(not_image.text, "announcement-image1")
    assert (await web.client.post(f"{BASE}/announcements", data={"csrf_token": "forged", "text": "Hi"})).status_code == 403
    await web.sign_in(mallory)
    assert (await web.client.get(f"{BASE}/announcements")).status_code == 403
    assert (await web.post_form(f"{BASE}/announcements", {"text": "Hi"}, token_from="/console")).status_code == 403
    assert await Announcement.all().count() == 0


async def test_refused_announcement_keeps_what_was_typed(web) -> None:
    """A too-long content warning with a described image, then a second image without its description: 400, the text,
    warning and descriptions as typed, the error next to its field; nothing published and no image kept. A good one
    still redirects."""
    olivia, _mallory, _group = await scene(web)
    await web.sign_in(olivia)
    path = f"{BASE}/announcements"
    typed = {"text": "Assembly on Friday.\nBring a friend.", "summary": "Meeting " * 30, "alt1": "The town hall"}
    response = await web.post_form(path, typed, files={"image1": ("hall.png", png(), "image/png")}, token_from=path)
    assert response.status_code == 400
    assert "at most 200 characters" in field_error(response.text, "announcement-summary")
    assert ">Assembly on Friday.\nBring a friend.</textarea>" in response.text
    assert f'value="{typed["summary"]}"' in response.text and 'value="The town hall"' in response.text
    second = await web.post_form(path, {**typed, "summary": "Meeting"}, token_from=path,
                                 files={"image1": ("hall.png", png(), "image/png"), "image2": ("map.png", png(), "image/png")})
    assert second.status_code == 400 and "alt text" in field_error(second.text, "announcement-alt2")
    assert 'value="Meeting"' in second.text
    assert await Announcement.all().count() == 0 and await MediaFile.all().count() == 0
    done = await web.post_form(path, {"text": "Assembly on Friday."}, token_from=path)
    assert done.status_code == 303 and done.headers["location"].endswith("/announcements")
    assert "The announcement was published" in (await web.client.get(path)).text


async def test_counters_and_notification_choices(web) -> None:
    """The console counts join requests, reports, held posts and gathered posts; an organiser sets how they are told."""
    olivia, mallory, group = await scene(web)
    # Given one of each thing that waits
    newcomer, stranger = await web.person("newcomer"), await web.person("stranger")
    await Membership.create(group=group, account=newcomer, state="pending")
    await moderation.receive_report(reporter_uri="https://social.example/actor", group=group, target_uri=stranger.uri,
                                    object_uris=[], comment="spam")
    group.posting_mode = "held_first"
    await group.save()
    uri = "https://social.example/users/mallory/statuses/1"
    await submit(group, mallory, PostDraft(uri=uri, activity_uri=f"{uri}/activity", object_type="Note", content_html="<p>hi</p>",
                                           visibility="public", published_at=now(), activity_json="{}"))
    await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    await campaigns.gather_relay_post(stranger, uri="https://social.example/users/stranger/statuses/9", url=None,
                                      content_html="<p>Cooling centre</p>", published_at=now(), hashtags=["heatwave"])
    # Then the owner's console shows the four counters
    await web.sign_in(olivia)
    page = (await web.client.get(f"{BASE}/waiting")).text
    for counter in ("join_requests", "reports", "held_posts", "gathered_posts"):
        assert f'data-counter="{counter}">1</span>' in page, counter
    assert "</span> join request</a>" in page and "</span> post held for approval</a>" in page  # singular forms
    # When she turns direct messages off and gives an email address, it is saved
    saved = await web.post_form(f"{BASE}/waiting", {"email": "olivia@example.org"}, token_from=f"{BASE}/waiting")
    assert saved.status_code == 303
    row = await OrganiserSettings.get(group=group, account=olivia)
    assert row.direct_messages is False and row.email == "olivia@example.org"
    # And a malformed address is refused with a message, nothing changed
    await web.post_form(f"{BASE}/waiting", {"direct_messages": "on", "email": "not an address"}, token_from=f"{BASE}/waiting")
    await row.refresh_from_db()
    assert row.direct_messages is False and row.email == "olivia@example.org"
    assert "is not an email address" in (await web.client.get(f"{BASE}/waiting")).text
    # And a plain member sees no counters
    await web.sign_in(mallory)
    assert (await web.client.get(f"{BASE}/waiting")).status_code == 403


def test_routes_sit_under_the_group_console() -> None:
    """Every route of the section is under /console/groups/{slug}."""
    paths = {route.path for route in console_organisers.routes("/console/groups/{slug}")}
    assert paths == {"/console/groups/{slug}/announcements", "/console/groups/{slug}/announcements/{announcement_id:int}/edit",
                     "/console/groups/{slug}/announcements/{announcement_id:int}/delete",
                     "/console/groups/{slug}/announcements/{announcement_id:int}/{action:str}", "/console/groups/{slug}/waiting"}
