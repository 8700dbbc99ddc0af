"""The member's home /me: groups with leave, answers with withdraw, alerts, language, sessions."""

from __future__ import annotations

import pytest

from hub.models import AlertMute, AlertSubscription, Event, Membership, Session, Signup
from hub.services import calls, campaigns
from web import member_home

pytestmark = pytest.mark.db


async def test_needs_sign_in(web) -> None:
    """Anonymous visitors are sent to sign in; the routes are the module's."""
    assert {r.name for r in member_home.routes()} >= {"me", "me_leave", "me_withdraw"}
    response = await web.client.get("/me")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/me")


async def test_member_manages_alerts_answers_and_leaves(web) -> None:
    """Alerts on/off per group and campaign, withdraw once, leave: each a form on /me with a notice."""
    alice = await web.person("alice")
    climate = await web.group_with("climate", name="Climate Action", role_of={alice: "member"})
    heat = await campaigns.create_campaign(climate, "heat", "Heatwave", hashtags=["heat"])
    call = await calls.create_call(climate, what="Water station", needed=2)
    await calls.sign_up(call, alice, via="reply")
    await web.sign_in(alice)
    page = await web.client.get("/me")
    assert page.status_code == 200 and "Climate Action" in page.text and "Water station" in page.text

    on = await web.post_form("/me/groups/climate/alerts", {"alerts": "on"}, token_from="/me")
    assert on.status_code == 303 and await AlertSubscription.filter(account=alice).exists()
    assert "Alerts from Climate Action are on." in (await web.client.get("/me")).text
    off = await web.post_form("/me/groups/climate/campaigns/heat/alerts", {"alerts": "off"}, token_from="/me")
    assert off.status_code == 303 and await AlertMute.filter(account=alice, campaign=heat).exists()

    await web.post_form(f"/me/calls/{call.id}/withdraw", token_from="/me")
    assert not await Signup.filter(account=alice).exists()
    again = await web.post_form(f"/me/calls/{call.id}/withdraw", token_from="/me")
    assert again.status_code == 303
    assert "no sign-up to this call to withdraw" in (await web.client.get("/me")).text

    await web.post_form("/me/groups/climate/leave", token_from="/me")
    assert (await Membership.get(group=climate, account=alice)).state == "left"
    assert await Event.filter(kind="membership.quit").count() == 1
    assert "You left Climate Action." in (await web.client.get("/me")).text


async def test_forms_without_the_token_change_nothing(web) -> None:
    """A cross-site form (no CSRF token) is refused and nothing changes."""
    alice = await web.person("alice")
    climate = await web.group_with("climate", role_of={alice: "member"})
    await web.sign_in(alice)
    response = await web.client.post("/me/groups/climate/leave", data={})
    assert response.status_code == 403
    assert (await Membership.get(group=climate, account=alice)).state == "accepted"


async def test_language_choice_follows_the_member(web) -> None:
    """The chosen language is kept with the account and used where no language cookie says otherwise."""
    alice = await web.person("alice")
    await web.group_with("climate", role_of={alice: "member"})
    await web.sign_in(alice)
    assert "/preferences" in (await web.client.get("/me")).text  # one place to choose it
    bad = await web.post_form("/preferences", {"language": "xx", "time_zone": ""}, token_from="/preferences")
    assert bad.status_code == 400 and "Choose a language" in bad.text
    response = await web.post_form("/preferences", {"language": "es", "time_zone": ""}, token_from="/preferences")
    assert response.status_code == 303
    await alice.refresh_from_db()
    assert alice.language == "es"
    web.client.cookies.delete("lang")
    page = await web.client.get("/me", headers={"Accept-Language": "en"})
    assert '<html lang="es" dir="ltr">' in page.text


async def test_sessions_are_listed_and_ended(web) -> None:
    """Two browsers: each is listed with its device; ending the other signs it out; ending this one signs out here."""
    alice = await web.person("alice")
    await web.group_with("climate", role_of={alice: "member"})
    await web.sign_in(alice)
    first_cookie = web.client.cookies.get("causeway_session")
    web.client.cookies.clear()
    await web.sign_in(alice)
    page = await web.client.get("/me", headers={"User-Agent": "TestBrowser/1"})
    assert page.status_code == 200 and page.text.count("class=\"device\"") == 2
    rows = await Session.filter(account=alice).order_by("id")
    await web.post_form(f"/me/sessions/{rows[0].id}/end", token_from="/me")
    assert await Session.filter(account=alice).count() == 1
    second_cookie = web.client.cookies.get("causeway_session")
    web.client.cookies.clear()
    web.client.cookies.set("causeway_session", first_cookie)
    assert (await web.client.get("/me")).status_code == 303
    web.client.cookies.clear()
    web.client.cookies.set("causeway_session", second_cookie)
    ended = await web.post_form(f"/me/sessions/{rows[1].id}/end", token_from="/me")
    assert ended.status_code == 303 and ended.headers["location"] == "/"
    assert (await web.client.get("/me")).status_code == 303


async def test_sign_out_everywhere_else(web) -> None:
    """One button ends every other session and keeps this one."""
    alice = await web.person("alice")
    await web.group_with("climate", role_of={alice: "member"})
    for _ in range(3):
        web.client.cookies.clear()
        await web.sign_in(alice)
    response = await web.post_form("/me/sessions/end-others", token_from="/me")
    assert response.status_code == 303 and await Session.filter(account=alice).count() == 1
    assert (await web.client.get("/me")).status_code == 200
