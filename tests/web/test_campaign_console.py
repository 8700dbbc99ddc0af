"""The campaign console: roles and CSRF on every form, calls with images (alt text required), alerts, moderation, board."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hub.clock import now
from hub.models import Alert, BoardItem, CallToAction, Campaign, CampaignPost, MediaFile, Membership, Signup
from hub.services import board, calls, campaigns

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
