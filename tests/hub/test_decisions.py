"""Tests for hub.services.decisions: opening, the voting rule, refusals that store nothing, closing and the result."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import now
from hub.errors import Conflict, InvalidInput, PermissionDenied
from hub.models import Decision, Event, Vote
from hub.services import decisions, members
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member


@pytest.fixture
async def group(db):
    """An open group with an owner."""
    return await create_group("climate", "Climate", owner=await account("owner"))


async def _decision(group, **options) -> Decision:
    values = {"question": "Where do we meet?", "options": ["Library", "Park", "Town hall"],
              "closes_at": now() + timedelta(days=2)}
    values.update(options)
    return await decisions.open_decision(group, **values)


def test_closing_time_in_a_time_zone_or_as_a_duration() -> None:
    """A naive date-time is read in the zone given; a duration counts from now; unknown zones are refused."""
    madrid = decisions.closing_time("2026-12-10T18:00", "Europe/Madrid")
    assert madrid == datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
    assert decisions.closing_time("2026-12-10T18:00+05:00", "Europe/Madrid") == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert decisions.closing_time("3d", moment=start) == start + timedelta(days=3)
    with pytest.raises(InvalidInput, match="unknown time zone 'Mars/Olympus'"):
        decisions.closing_time("2026-12-10T18:00", "Mars/Olympus")
    with pytest.raises(InvalidInput, match="unknown time zone"):
        decisions.time_zone("../../etc/passwd")
    with pytest.raises(InvalidInput, match="not a closing time"):
        decisions.closing_time("next friday")


async def test_opening_checks_options_time_and_quorum(group) -> None:
    """Bad options, closing times and quorums are refused with a reason, and nothing is stored."""
    for bad, message in [
        ({"options": ["Only one"]}, "2 to 10 options"),
        ({"options": ["Park", "park "]}, "same name"),
        ({"closes_at": now() - timedelta(hours=1)}, "at least a minute"),
        ({"closes_at": now() + timedelta(days=400)}, "within a year"),
        ({"quorum": 0}, "quorum"),
        ({"timezone": "Nowhere/City"}, "unknown time zone"),
        ({"question": "  "}, "needs a question"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            await _decision(group, **bad)
    assert await Decision.all().count() == 0 and await Event.filter(kind="decision.opened").count() == 0
    decision = await _decision(group, quorum=2, timezone="Europe/Madrid")
    assert decision.options == ["Library", "Park", "Town hall"] and decision.state == "open"
    assert await Event.filter(kind="decision.opened").count() == 1
    assert decisions.local_time(decision).utcoffset() == timedelta(hours=1)


async def test_members_may_open_decisions_only_where_the_group_allows(group) -> None:
    """By default only organisers open decisions; with decisions_by=members any accepted member may."""
    alice = await member(group, "alice")
    with pytest.raises(PermissionDenied, match="organisers"):
        await _decision(group, by=alice)
    with pytest.raises(PermissionDenied):
        await decisions.set_openers(group, "members", by=alice)
    await decisions.set_openers(group, "members", by=None)
    decision = await _decision(group, by=alice)
    assert decision.created_by_id == alice.id
    outsider = await account("outsider")
    with pytest.raises(PermissionDenied, match="members"):
        await _decision(group, by=outsider)


async def test_single_choice_later_vote_replaces_earlier(group) -> None:
    """One ballot per person: a later vote replaces the earlier; the same vote again changes nothing."""
    alice = await member(group, "alice")
    decision = await _decision(group)
    assert (await decisions.vote(decision, alice, ["Park"])).outcome == "recorded"
    assert (await decisions.vote(decision, alice, ["Park"])).outcome == "unchanged"
    result = await decisions.vote(decision, alice, ["library"])  # case and spacing are forgiven
    assert result.outcome == "replaced" and result.choices == (0,)
    assert await Vote.filter(decision=decision).count() == 1
    assert (await decisions.tally(decision)).counts == [1, 0, 0]


async def test_final_votes_refuse_a_second_choice(group) -> None:
    """With changeable=False the first vote stands and a different later one is refused, storing nothing."""
    alice = await member(group, "alice")
    decision = await _decision(group, changeable=False)
    await decisions.vote(decision, alice, ["Park"])
    with pytest.raises(Conflict, match="final"):
        await decisions.vote(decision, alice, ["Library"])
    assert [v.choice for v in await Vote.filter(decision=decision)] == [1]


async def test_multiple_choice_votes_add_options(group) -> None:
    """Multiple choice: each vote adds an option to the ballot (as Mastodon sends them); repeats change nothing."""
    alice = await member(group, "alice")
    decision = await _decision(group, multiple=True)
    await decisions.vote(decision, alice, ["Park"])
    result = await decisions.vote(decision, alice, ["Town hall", "Park"])
    assert result.outcome == "recorded" and result.choices == (1, 2)
    assert (await decisions.vote(decision, alice, ["Park"])).outcome == "unchanged"
    tally = await decisions.tally(decision)
    assert tally.counts == [0, 1, 1] and tally.voters == 1


async def test_refused_votes_store_nothing(group) -> None:
    """Unknown options, several options on single choice, banned voters and votes after closing are refused."""
    alice = await member(group, "alice")
    spammer = await member(group, "spammer")
    await members.remove(group, spammer, ban=True)
    decision = await _decision(group)
    with pytest.raises(InvalidInput, match="no option 'Beach'"):
        await decisions.vote(decision, alice, ["Beach"])
    with pytest.raises(InvalidInput, match="one option"):
        await decisions.vote(decision, alice, ["Park", "Library"])
    with pytest.raises(PermissionDenied):
        await decisions.vote(decision, spammer, ["Park"])
    await Decision.filter(id=decision.id).update(closes_at=now() - timedelta(seconds=1))
    decision = await Decision.get(id=decision.id)
    with pytest.raises(Conflict, match="closed"):
        await decisions.vote(decision, alice, ["Park"])
    assert await Vote.all().count() == 0


async def test_non_members_are_kept_apart(group) -> None:
    """Non-members' votes are stored apart and never counted or used for the quorum."""
    alice = await member(group, "alice")
    outsider = await account("outsider")
    decision = await _decision(group, quorum=2)
    await decisions.vote(decision, alice, ["Park"])
    assert (await decisions.vote(decision, outsider, ["Library"])).member is False
    tally = await decisions.tally(decision)
    assert (tally.counts, tally.others, tally.voters, tally.other_voters) == ([0, 1, 0], [1, 0, 0], 1, 1)
    assert tally.quorum_met is False and tally.winners == [1]
    counted, apart = await decisions.ballots(decision)
    assert [(a.id, c) for a, c in counted] == [(alice.id, [1])] and [(a.id, c) for a, c in apart] == [(outsider.id, [0])]


async def test_close_due_closes_once_with_the_result(group) -> None:
    """The worker's close_due closes decisions whose time passed, at their closing time, once, with the result stored."""
    alice, bob = await member(group, "alice"), await member(group, "bob")
    due = await _decision(group, quorum=2)
    later = await _decision(group, question="Later?")
    await decisions.vote(due, alice, ["Park"])
    await decisions.vote(due, bob, ["Park"])
    closing = now() - timedelta(seconds=5)
    await Decision.filter(id=due.id).update(closes_at=closing)
    assert await decisions.close_due() == 1
    assert await decisions.close_due() == 0
    due = await Decision.get(id=due.id)
    assert due.state == "closed" and due.closed_at == closing
    assert due.result == {"counts": [0, 2, 0], "voters": 2, "others": [0, 0, 0], "other_voters": 0, "quorum_met": True,
                          "winners": [1]}
    assert (await Decision.get(id=later.id)).state == "open"
    assert await Event.filter(kind="decision.closed").count() == 1
    with pytest.raises(Conflict, match="already closed"):
        await decisions.close_decision(due)


async def test_organisers_close_early(group) -> None:
    """Organisers (not other members) close a decision before its time; the result says the quorum was missed."""
    alice = await member(group, "alice")
    decision = await _decision(group, quorum=3)
    with pytest.raises(PermissionDenied):
        await decisions.close_decision(decision, by=alice)
    await decisions.close_decision(decision)
    assert decision.state == "closed" and decision.result["quorum_met"] is False and decision.result["winners"] == []


async def test_concurrent_votes_keep_one_ballot_per_person(group) -> None:
    """Votes arriving at once (workers in parallel): each person ends with one single-choice vote; all members count."""
    voters = [await member(group, f"m{n}") for n in range(8)]
    decision = await _decision(group, options=["A", "B", "C"])
    await asyncio.gather(*(decisions.vote(decision, voters[0], [name]) for name in ["A", "B", "C", "A", "B", "C"]),
                         *(decisions.vote(decision, who, ["B"]) for who in voters[1:]))
    assert await Vote.filter(decision=decision, account=voters[0]).count() == 1
    tally = await decisions.tally(decision)
    assert tally.voters == 8 and sum(tally.counts) == 8 and tally.counts[1] >= 7


async def test_refusals_name_the_form_field_they_are_about(group) -> None:
    """Each refusal of a decision names the console form's field it is about; no decision is opened."""
    cases = [({"question": " "}, "question"), ({"question": "q" * 501}, "question"), ({"details": "d" * 5001}, "details"),
             ({"options": ["Only one"]}, "options"), ({"options": ["Park", "park"]}, "options"),
             ({"options": ["Park", "p" * 101]}, "options"), ({"timezone": "Mars/Olympus"}, "timezone"),
             ({"closes_at": now()}, "closes"), ({"closes_at": now() + timedelta(days=400)}, "closes"),
             ({"closes_at": datetime(2030, 1, 1)}, "closes"), ({"quorum": 0}, "quorum")]
    for values, field in cases:
        with pytest.raises(InvalidInput) as refused:
            await _decision(group, **values)
        assert refused.value.field == field, (values, str(refused.value))
    with pytest.raises(InvalidInput) as refused:
        decisions.closing_time("next friday", "UTC")
    assert refused.value.field == "closes"
    assert await Decision.all().count() == 0
