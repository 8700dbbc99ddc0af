"""The decision console and log: who may open decisions, CSRF, bad input refused with nothing stored, results shown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from web import decision_pages
from hub.clock import now
from hub.models import Decision
from hub.services import decisions
from tests.web.test_console_forms import field_error

pytestmark = pytest.mark.db
BASE = "/console/groups/climate/decisions"
DAY = (now() + timedelta(days=30)).strftime("%Y-%m-%d")
FORM = {"question": "Where do we meet?", "options": "Library\nPark\n", "closes": f"{DAY}T18:00", "timezone": "America/Bogota",
        "quorum": "2"}


async def scene(web):
    """climate, owned by olivia, with mallory a plain member and a stranger."""
    olivia, mallory, stranger = [await web.person(n) for n in ("olivia", "mallory", "stranger")]
    group = await web.group_with("climate", name="Climate Action", role_of={olivia: "owner", mallory: "member"})
    return olivia, mallory, stranger, group


async def test_organisers_open_and_close_decisions(web) -> None:
    """The owner opens a decision (time zone, quorum), closes it; the log shows the result and the quorum."""
    olivia, mallory, stranger, group = await scene(web)
    await web.sign_in(olivia)
    assert (await web.post_form(BASE, FORM, token_from=BASE)).status_code == 303
    decision = await Decision.get(question="Where do we meet?")
    assert decision.timezone == "America/Bogota" and decision.closes_at.hour == 23 and decision.quorum == 2
    await decisions.vote(decision, mallory, ["Park"])
    await decisions.vote(decision, stranger, ["Library"])
    log = (await web.client.get("/groups/climate/decisions")).text
    assert "Open for votes" in log and f"Closes {DAY} 18:00 (America/Bogota)" in log
    assert await web.post_form(f"{BASE}/{decision.id}/close", token_from=BASE)
    log = (await web.client.get("/groups/climate/decisions")).text
    assert "Result: Park" in log and "Quorum not met: 1 of 2 needed." in log and "Also voted: 1 non-member(s), not counted" in log
    assert "America/Bogota" in decision_pages.COMMON_ZONES and "Etc/GMT+5" not in decision_pages.COMMON_ZONES


async def test_bad_decisions_are_refused_and_nothing_stored(web) -> None:
    """Unknown time zones, past closing times, one option, a bad quorum, an empty question: 400, the form as typed with
    the error next to its field; a forged token: 403; no decision either way."""
    olivia, mallory, _stranger, _group = await scene(web)
    await web.sign_in(olivia)
    typed = {**FORM, "details": "Bring ideas", "multiple": "on"}
    for bad, field, message in [({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
                                ({"closes": "2001-01-01T10:00"}, "closes", "at least a minute"),
                                ({"closes": "next friday"}, "closes", "is not a closing time"),
                                ({"options": "Only one"}, "options", "2 to 10 options"),
                                ({"quorum": "many"}, "quorum", "not a whole number"), ({"question": " "}, "question", "needs a question")]:
        response = await web.post_form(BASE, {**typed, **bad}, token_from=BASE)
        assert response.status_code == 400, bad
        assert message in field_error(response.text, f"d-{field}")
        sent = {**typed, **bad}
        for name in ("question", "closes", "timezone", "quorum"):
            assert f'value="{sent[name]}"' in response.text, (bad, name)
        assert f">{sent['options']}</textarea>" in response.text and ">Bring ideas</textarea>" in response.text
        assert 'id="d-multiple" name="multiple" type="checkbox" checked' in response.text
        assert 'id="d-final" name="final" type="checkbox">' in response.text
    assert (await web.client.post(BASE, data={**FORM, "csrf_token": "forged"})).status_code == 403
    assert await Decision.all().count() == 0


async def test_members_open_decisions_only_when_allowed(web) -> None:
    """A plain member gets 403 until the owner lets every member open decisions."""
    olivia, mallory, _stranger, group = await scene(web)
    await web.sign_in(mallory)
    assert (await web.client.get(BASE)).status_code == 403
    await web.sign_in(olivia)
    await web.post_form(f"{BASE}/openers", {"decisions_by": "members"}, token_from=BASE)
    await web.sign_in(mallory)
    page = await web.client.get(BASE)
    assert page.status_code == 200 and "Who may open decisions" not in page.text
    assert (await web.post_form(BASE, FORM, token_from=BASE)).status_code == 303
    assert (await Decision.get(question="Where do we meet?")).created_by_id == mallory.id
    assert (await web.post_form(f"{BASE}/openers", {"decisions_by": "organisers"}, token_from=BASE)).status_code == 403


async def test_decisions_closed_by_time_are_in_the_log(web) -> None:
    """A decision the worker closed at its time is in the log with members' counts."""
    _olivia, mallory, _stranger, group = await scene(web)
    decision = await decisions.open_decision(group, question="Paint the banner green?", options=["Yes", "No"],
                                             closes_at=now() + timedelta(hours=1))
    await decisions.vote(decision, mallory, ["Yes"])
    await Decision.filter(id=decision.id).update(closes_at=now() - timedelta(minutes=1))
    await decisions.close_due()
    log = (await web.client.get("/groups/climate/decisions")).text
    assert "Decision log" in log and "Result: Yes" in log and f'id="decision-{decision.id}"' in log


async def test_signed_in_accounts_vote_on_the_web(web) -> None:
    """A member signed in by a DM link votes and changes the vote; a stranger's vote is apart; CSRF and closing hold."""
    _olivia, mallory, stranger, group = await scene(web)
    decision = await decisions.open_decision(group, question="Paint the banner green?", options=["Yes", "No"],
                                             closes_at=now() + timedelta(hours=1))
    path = f"/groups/climate/decisions/{decision.id}/vote"
    assert (await web.client.post(path, data={"csrf_token": "x", "option": "Yes"})).status_code == 303  # to sign in
    await web.sign_in(mallory)
    assert (await web.client.post(path, data={"csrf_token": "forged", "option": "Yes"})).status_code == 403
    await web.post_form(path, {"option": "Yes"}, token_from="/groups/climate/decisions")
    assert "Your vote is counted." in (await web.client.get("/groups/climate/decisions")).text
    await web.post_form(path, {"option": "No"}, token_from="/groups/climate/decisions")
    assert "Your vote was changed." in (await web.client.get("/groups/climate/decisions")).text
    await web.post_form(path, {"option": "Maybe"}, token_from="/groups/climate/decisions")
    assert "has no option" in (await web.client.get("/groups/climate/decisions")).text
    await web.sign_in(stranger)
    await web.post_form(path, {"option": "Yes"}, token_from="/groups/climate/decisions")
    assert "listed apart" in (await web.client.get("/groups/climate/decisions")).text
    tally = await decisions.tally(decision)
    assert (tally.counts, tally.others) == ([0, 1], [1, 0])
    await decisions.close_decision(decision)
    await web.post_form(path, {"option": "No"}, token_from="/groups/climate/decisions")
    assert (await decisions.tally(decision)).others == [1, 0]
