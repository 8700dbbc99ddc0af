"""Tests for hub.services.calls: keywords in several languages, poll votes, signups, non-members, closing."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Event
from hub.services import calls, members
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member


@pytest.mark.parametrize("text", [
    "I'm in!", "@climate@hub.example count me in", "Im in", "I’m in", "Sign me up please", "Me apunto 🙌",
    "cuenta conmigo", "Ich bin dabei", "je viens !", "Estou dentro", "ci sono", "ik doe mee",
])
def test_signup_phrases_are_recognised(text: str) -> None:
    """"I'm in" and its siblings in several languages sign up, mentions aside."""
    assert calls.is_signup_text(text)


@pytest.mark.parametrize("text", ["", "I'm interested in details", "nothing here", "within reach", "@imin@x.example hello"])
def test_other_replies_are_not_signups(text: str) -> None:
    """Replies that only contain the letters of a phrase inside other words are not signups."""
    assert not calls.is_signup_text(text)


def test_poll_vote_is_the_option_name_without_text() -> None:
    """A Mastodon poll vote: a Note named like the option, with no content."""
    assert calls.is_poll_vote("I'm in", None)
    assert calls.is_poll_vote("I’m in", "")
    assert not calls.is_poll_vote("I'm in", "<p>hello</p>")
    assert not calls.is_poll_vote("Other", None)


@pytest.fixture
async def group(db):
    """An open group with an owner."""
    return await create_group("climate", "Climate", owner=await account("owner"))


async def test_members_count_non_members_apart_or_ignored(group) -> None:
    """Members count towards what is needed; non-members are listed apart, or refused when the call ignores them."""
    alice = await member(group, "alice")
    outsider = await account("outsider")
    call = await calls.create_call(group, what="Staff the water station", where="Main square", when="2026-12-05T10:00", needed=3)
    assert await Event.filter(kind="call.published").count() == 1
    first = await calls.sign_up(call, alice, via="reply")
    again = await calls.sign_up(call, alice, via="vote")
    assert first.created and not again.created
    await calls.sign_up(call, outsider, via="vote")
    status = await calls.status(call)
    assert (status.counted, status.remaining, len(status.others)) == (1, 2, 1)
    strict = await calls.create_call(group, what="Closed meeting", needed=1, non_members="ignore")
    with pytest.raises(PermissionDenied):
        await calls.sign_up(strict, outsider, via="reply")
    assert await Event.filter(kind="call.signup").count() == 2
    banned = await member(group, "banned")
    await members.remove(group, banned, ban=True)
    with pytest.raises(PermissionDenied):
        await calls.sign_up(call, banned, via="vote")


async def test_closed_calls_take_no_answers(group) -> None:
    """Closing a call records call.closed; later answers are a Conflict; closing twice is refused."""
    alice = await member(group, "alice")
    call = await calls.create_call(group, what="Petition", needed=10, kind="petition")
    await calls.close_call(call)
    with pytest.raises(Conflict):
        await calls.sign_up(call, alice, via="reply")
    with pytest.raises(Conflict):
        await calls.close_call(call)
    assert await Event.filter(kind="call.closed").count() == 1


async def test_calls_need_what_and_a_number(group) -> None:
    """A call needs what and 1..100000 people; non-organisers may not publish."""
    with pytest.raises(InvalidInput):
        await calls.create_call(group, what=" ", needed=3)
    with pytest.raises(InvalidInput):
        await calls.create_call(group, what="x", needed=0)
    with pytest.raises(PermissionDenied):
        await calls.create_call(group, what="x", needed=1, by=await member(group, "bob"))


async def test_refusals_name_the_form_field_they_are_about(group) -> None:
    """Each refusal of a call names the console form's field it is about; no call is stored."""
    cases = [({"what": " "}, "what"), ({"where": "w" * 501}, "where"), ({"details": "d" * 5001}, "details"),
             ({"when": "next friday"}, "when"), ({"when": "2026-12-05T09:00", "time_zone": "Mars/Olympus"}, "time_zone"),
             ({"kind": "party"}, "kind"), ({"non_members": "count"}, "non_members"), ({"needed": 0}, "needed")]
    for values, field in cases:
        with pytest.raises(InvalidInput) as refused:
            await calls.create_call(group, **{"what": "Flyers", "needed": 3, **values})
        assert refused.value.field == field, (values, str(refused.value))
    assert await calls.list_calls(group) == []
