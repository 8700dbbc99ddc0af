"""The campaign console: roles and CSRF on every form, calls with images (alt text required), alerts, moderation, board."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hub.clock import now
from hub.models import Alert, BoardItem, CallToAction, Campaign, CampaignPost, MediaFile, Membership, Signup
from hub.services import board, calls, campaigns
from tests.web.test_console_forms import field_error

pytestmark = pytest.mark.db
BASE = "/console/groups/climate/campaigns"


def png(size=(1200, 900)) -> bytes:
    """A PNG image."""
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "PNG")
    return out.getvalue()


async def scene(web):
    """climate, owned by olivia, with mallory a plain member, a campaign with one pending relay post, a need and an offer."""
    olivia, mallory, stranger = [await web.person(n) for n in ("olivia", "mallory", "stranger")]
    group = await web.group_with("climate", name="Climate Action", role_of={olivia: "owner", mallory: "member"})
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"], target=100)
    [entry] = await campaigns.gather_relay_post(stranger, uri="https://social.example/users/stranger/statuses/1", url=None,
                                                 content_html="<p>Cooling centre open</p>", published_at=now(), hashtags=["heatwave"])
    need = await board.add_item(group, olivia, "need", "drinking water north")
    offer = await board.add_item(group, mallory, "offer", "drinking water bottles")
    return {"olivia": olivia, "mallory": mallory, "stranger": stranger, "group": group, "campaign": campaign,
            "entry": entry, "need": need, "offer": offer}


def posts(s) -> list[tuple[str, dict]]:
    """Every campaign console POST with a plausible form."""
    return [
        (BASE, {"slug": "x", "name": "X", "hashtags": "x"}),
        (f"{BASE}/heat/fundraising", {"progress": "50"}),
        (f"{BASE}/gathered/{s['entry'].id}/approve", {}),
        (f"{BASE}/calls", {"what": "Flyers", "needed": "3"}),
        (f"{BASE}/calls/1/close", {}),
        (f"{BASE}/alerts", {"text": "Storm"}),
        (f"{BASE}/alerts/1/unpin", {}),
        (f"{BASE}/board/{s['need'].id}/met", {"matched_with": str(s["offer"].id)}),
    ]


async def test_members_who_are_not_organisers_get_403_and_forms_need_csrf(web) -> None:
    """A plain member is refused every page and action; the owner without the CSRF token too; nothing changes."""
    s = await scene(web)
    await web.sign_in(s["mallory"])
    assert (await web.client.get(BASE)).status_code == 403
    for path, data in posts(s):
        assert (await web.post_form(path, data, token_from="/console")).status_code == 403, path
    await web.sign_in(s["olivia"])
    for path, data in posts(s):
        assert (await web.client.post(path, data={**data, "csrf_token": "forged"})).status_code == 403, path
    assert await Campaign.all().count() == 1 and await CallToAction.all().count() == 0 and await Alert.all().count() == 0
    assert (await CampaignPost.get(id=s["entry"].id)).state == "pending"
    assert (await BoardItem.get(id=s["need"].id)).state == "open"


async def test_owner_runs_a_campaign_from_the_console(web) -> None:
    """The owner sees what waits, approves a relay post, publishes a call with an image, sends an alert, marks a need met."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    page = (await web.client.get(BASE)).text
    assert "Cooling centre open" in page and "Suggested matches" in page and "drinking water north" in page
    response = await web.post_form(f"{BASE}/gathered/{s['entry'].id}/approve", token_from=BASE)
    assert response.status_code == 303
    assert "Cooling centre open" in (await web.client.get("/groups/climate/campaigns/heat")).text

    # A call with an image but no alt text is refused; with alt text the image is cleaned and attached
    form = {"what": "Water station", "where": "Main square", "when": "2026-12-05T09:00", "time_zone": "Africa/Nairobi", "needed": "4", "campaign": "heat"}
    refused = await web.post_form(f"{BASE}/calls", form, files={"image": ("p.png", png(), "image/png")}, token_from=BASE)
    assert refused.status_code == 400 and "alt text" in refused.text
    assert await CallToAction.all().count() == 0
    done = await web.post_form(f"{BASE}/calls", {**form, "alt": "A table with water jugs"},
                               files={"image": ("p.png", png((3000, 1000)), "image/png")}, token_from=BASE)
    assert done.status_code == 303
    call = await CallToAction.get(what="Water station").prefetch_related("image")
    assert call.image.alt == "A table with water jugs" and call.image.width == 1600 and call.campaign_id == s["campaign"].id
    call_page = (await web.client.get(f"/groups/climate/calls/{call.id}")).text
    assert 'alt="A table with water jugs"' in call_page and "0 of 4 signed up" in call_page

    await web.post_form(f"{BASE}/alerts", {"text": "Heat warning: stay inside 12-16h", "campaign": "heat"}, token_from=BASE)
    assert "Heat warning" in (await web.client.get("/groups/climate/campaigns/heat")).text
    await web.post_form(f"{BASE}/heat/fundraising", {"progress": "40", "target": "100"}, token_from=BASE)
    assert "40 of 100" in (await web.client.get("/groups/climate/campaigns/heat")).text
    await web.post_form(f"{BASE}/board/{s['need'].id}/met", {"matched_with": str(s["offer"].id)}, token_from=BASE)
    assert (await BoardItem.get(id=s["need"].id)).state == "met" and (await BoardItem.get(id=s["offer"].id)).state == "met"
    await web.post_form(f"{BASE}/calls/{call.id}/close", token_from=BASE)
    assert (await CallToAction.get(id=call.id)).state == "closed"


async def test_blocking_a_relay_author(web) -> None:
    """Block hides the post and bans its author from the group."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    await web.post_form(f"{BASE}/gathered/{s['entry'].id}/block", token_from=BASE)
    assert (await CampaignPost.get(id=s["entry"].id)).state == "hidden"
    assert await Membership.filter(group=s["group"], account=s["stranger"], state="banned").exists()


async def test_oversized_or_fake_images_are_refused(web) -> None:
    """An SVG named .png and a file over 5 MiB are refused with a reason; nothing is stored."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    form = {"what": "x", "needed": "1", "alt": "x"}
    fake = await web.post_form(f"{BASE}/calls", form, files={"image": ("p.png", b"<svg/>", "image/png")}, token_from=BASE)
    assert fake.status_code == 400 and "PNG, JPEG, GIF and WebP" in fake.text
    big = await web.post_form(f"{BASE}/calls", form, files={"image": ("p.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "image/jpeg")},
                              token_from=BASE)
    assert big.status_code in (400, 413)
    assert await MediaFile.all().count() == 0 and await CallToAction.all().count() == 0


async def test_signed_in_accounts_say_im_in_on_the_web(web) -> None:
    """A member signed in by a DM link answers a call with a button (CSRF checked); signed-out visitors go to sign in."""
    s = await scene(web)
    call = await calls.create_call(s["group"], what="Flyers", needed=2)
    path = f"/groups/climate/calls/{call.id}/signup"
    assert (await web.client.post(path, data={"csrf_token": "x"})).status_code == 303  # to the sign-in page
    await web.sign_in(s["mallory"])
    assert (await web.client.post(path, data={"csrf_token": "forged"})).status_code == 403
    response = await web.post_form(path, token_from=f"/groups/climate/calls/{call.id}")
    assert response.status_code == 303
    page = (await web.client.get(f"/groups/climate/calls/{call.id}")).text
    assert "You are signed up." in page and "1 of 2 signed up" in page and "1 member signed up" in page
    [signup] = await Signup.filter(call=call)
    assert signup.via == "web" and signup.member


async def test_refused_campaign_keeps_the_form_with_the_error_next_to_its_field(web) -> None:
    """A campaign with an end that is not a date, then a short name already taken, then a word that is no hashtag: 400
    each time, the form as typed and the error next to that field; no campaign created. A good one still redirects."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    typed = {"name": "Floods", "slug": "floods", "hashtags": "rain flood", "goal": "Dry homes", "starts": "2026-12-01",
             "ends": "tomorrow", "donation_url": "https://give.example/floods", "target": "500", "unit": "EUR"}
    bad_end = await web.post_form(BASE, typed, token_from=BASE)
    assert bad_end.status_code == 400
    assert "is not a date" in field_error(bad_end.text, "c-ends")
    for value in ("Floods", "floods", "rain flood", "2026-12-01", "tomorrow", "https://give.example/floods", "500", "EUR"):
        assert f'value="{value}"' in bad_end.text, value
    assert ">Dry homes</textarea>" in bad_end.text
    taken = await web.post_form(BASE, {**typed, "ends": "", "slug": "heat"}, token_from=BASE)
    assert taken.status_code == 400 and "already has a campaign called 'heat'" in field_error(taken.text, "c-slug")
    not_a_tag = await web.post_form(BASE, {**typed, "ends": "", "hashtags": "rain !!!"}, token_from=BASE)
    assert not_a_tag.status_code == 400 and "is not a hashtag" in field_error(not_a_tag.text, "c-tags")
    assert await Campaign.all().count() == 1
    done = await web.post_form(BASE, {**typed, "ends": "2027-01-31"}, token_from=BASE)
    assert done.status_code == 303 and done.headers["location"].endswith("/campaigns")
    assert (await Campaign.get(slug="floods")).fundraising_target == 500


async def test_refused_call_keeps_the_form_and_stores_no_image(web) -> None:
    """A call with an image but no "what": 400, every typed value and choice kept, the error next to "what"; neither the
    call nor its image is stored. A number of people that is not a number is shown next to its field."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    typed = {"what": "  ", "where": "Main square", "when": "2026-12-05T09:00", "time_zone": "Africa/Nairobi", "needed": "4",
             "kind": "petition", "campaign": "heat", "details": "Bring water", "non_members": "ignore", "alt": "Water jugs"}
    response = await web.post_form(f"{BASE}/calls", typed, files={"image": ("p.png", png(), "image/png")}, token_from=BASE)
    assert response.status_code == 400
    assert "a call needs what" in field_error(response.text, "call-what")
    for value in ("Main square", "2026-12-05T09:00", "4", "Water jugs"):
        assert f'value="{value}"' in response.text, value
    assert ">Bring water</textarea>" in response.text
    for chosen in ('value="Africa/Nairobi" selected', 'value="petition" selected', 'value="heat" selected',
                   'id="nm-ignore" type="radio" name="non_members" value="ignore" checked'):
        assert chosen in response.text, chosen
    assert await CallToAction.all().count() == 0 and await MediaFile.all().count() == 0
    many = await web.post_form(f"{BASE}/calls", {**typed, "what": "Flyers", "needed": "lots"}, token_from=BASE)
    assert many.status_code == 400 and "is not a whole number" in field_error(many.text, "call-needed")
    assert 'value="Flyers"' in many.text and 'value="lots"' in many.text
    assert await CallToAction.all().count() == 0


async def test_refused_alert_and_fundraising_keep_what_was_typed(web) -> None:
    """A too-long alert and a raised amount that is not a number: 400, the text as typed, the error next to its field;
    nothing sent or saved. A good alert still redirects with its notice."""
    s = await scene(web)
    await web.sign_in(s["olivia"])
    long_alert = "Storm warning " * 150
    response = await web.post_form(f"{BASE}/alerts", {"text": long_alert, "campaign": "heat"}, token_from=BASE)
    assert response.status_code == 400
    assert "1-2,000 characters" in field_error(response.text, "alert-text")
    assert f">{long_alert}</textarea>" in response.text
    assert await Alert.all().count() == 0
    figures = await web.post_form(f"{BASE}/heat/fundraising", {"progress": "lots", "target": "200"}, token_from=BASE)
    assert figures.status_code == 400
    assert "is not a whole number" in field_error(figures.text, f"progress-{s['campaign'].id}")
    assert 'value="lots"' in figures.text and 'value="200"' in figures.text
    campaign = await Campaign.get(id=s["campaign"].id)
    assert (campaign.fundraising_progress, campaign.fundraising_target) == (0, 100)
    sent = await web.post_form(f"{BASE}/alerts", {"text": "Storm tonight", "campaign": "heat"}, token_from=BASE)
    assert sent.status_code == 303 and await Alert.filter(text="Storm tonight").exists()
    assert "The alert is pinned" in (await web.client.get(BASE)).text
