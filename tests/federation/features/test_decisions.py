"""Decisions on the wire, in-process: the Question out, votes in (members, others, repeats, refusals), the result Update."""

from __future__ import annotations

from datetime import timedelta

import pytest

from federation.features import decisions as feature
from hub.clock import now
from hub.models import Decision, InboxItem, Vote
from federation.remote import account_for
from hub.services import decisions, members
from tests.federation.harness import PUBLIC, running_hub
from tests.federation.test_campaigns import create, delivered

pytestmark = pytest.mark.db


def vote(actor, question_id: str, name: str, n: int) -> dict:
    """A Mastodon poll vote: Create{Note{name}} in reply to the Question, addressed to the group only."""
    group = question_id.split("/objects/")[0]
    return create(actor, {"id": f"{actor.id}#votes/{n}", "name": name, "inReplyTo": question_id}, to=[group])


async def test_decision_question_votes_and_result(database_url, tmp_path) -> None:
    """Members' votes count, a repeat replaces, others are apart, bad votes are refused; the worker publishes the result."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a group with two members and a single-choice decision with a quorum of 2
        group = await hub.group("climate")
        alice, bob, carol = hub.world.person("alice"), hub.world.person("bob"), hub.world.person("carol", "other.test")
        await hub.member(alice)
        await hub.member(bob)
        decision = await decisions.open_decision(
            group, question="Where do we meet?", options=["Library", "Park"], quorum=2,
            closes_at=decisions.closing_time("2d"), timezone="Europe/Madrid")
        await hub.drain()
        # Then members' server got the group's Question: oneOf, endTime, votersCount 0
        [create_q] = [a for a in delivered(hub, "Create", "remote.test") if a["object"]["type"] == "Question"]
        question = create_q["object"]
        assert question["id"] == f"{hub.group_id()}/objects/decision/{decision.id}"
        assert [o["name"] for o in question["oneOf"]] == ["Library", "Park"] and question["votersCount"] == 0
        assert question["endTime"].endswith("Z") and "closed" not in question and PUBLIC in question["cc"]
        assert "Europe/Madrid" in question["content"]
        served = await hub.get(f"/groups/climate/objects/decision/{decision.id}", accept="application/activity+json")
        assert served.status_code == 200 and served.json()["oneOf"][0]["name"] == "Library"
        page = await hub.get(f"/groups/climate/objects/decision/{decision.id}")
        assert page.headers["location"].endswith(f"/groups/climate/decisions#decision-{decision.id}")

        # When alice votes Library then changes to Park, bob votes Park, carol (no member) votes Library,
        # bob votes for an option that does not exist, and alice replies with text
        for n, (who, name) in enumerate([(alice, "Library"), (alice, "Park"), (bob, "Park"), (carol, "Library"), (bob, "Beach")]):
            assert (await hub.signed_post("/inbox", vote(who, question["id"], name, n), who)).status_code == 202
        reply = create(alice, {"id": f"{alice.id}/statuses/9", "inReplyTo": question["id"], "content": "<p>Park please</p>"},
                       to=[PUBLIC], cc=[hub.group_id()])
        assert (await hub.signed_post("/inbox", reply, alice)).status_code == 202
        await hub.drain()
        # Then members count once each, carol is apart, the unknown option stored nothing, the reply is no post
        tally = await decisions.tally(decision)
        assert (tally.counts, tally.voters, tally.others, tally.other_voters) == ([0, 2], 2, [1, 0], 1)
        reasons = [i.last_error for i in await InboxItem.all().order_by("id")]
        assert "vote replaced (Park)" in reasons[1] and "not a member" in reasons[3]
        assert "vote refused" in reasons[4] and "no option 'Beach'" in reasons[4] and "not a vote" in reasons[5]
        assert (await hub.counts()).posts == 0 and await Vote.all().count() == 3

        # When the closing time passes, the worker closes it and members' servers get the Update with the result
        await Decision.filter(id=decision.id).update(closes_at=now() - timedelta(seconds=1))
        await hub.drain()
        [update] = [a for a in delivered(hub, "Update", "remote.test") if a["object"]["type"] == "Question"]
        result = update["object"]
        assert result["closed"] and [o["replies"]["totalItems"] for o in result["oneOf"]] == [0, 2]
        assert result["votersCount"] == 2 and "Park" in result["content"] and "Quorum met" in result["content"]
        # And a vote after closing is refused and stores nothing
        assert (await hub.signed_post("/inbox", vote(bob, question["id"], "Library", 20), bob)).status_code == 202
        await hub.drain()
        assert "closed" in (await InboxItem.all().order_by("-id").first()).last_error
        assert await Vote.all().count() == 3


async def test_multiple_choice_is_anyof(database_url, tmp_path) -> None:
    """Multiple-choice decisions are anyOf; each of Mastodon's per-option votes adds to the ballot."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        alice = hub.world.person("alice")
        await hub.member(alice)
        decision = await decisions.open_decision(group, question="Which days?", options=["Mon", "Tue", "Wed"], multiple=True,
                                                 closes_at=decisions.closing_time("1d"))
        await hub.drain()
        question_id = f"{hub.group_id()}/objects/decision/{decision.id}"
        for n, name in enumerate(["Mon", "Wed", "Mon"]):
            await hub.signed_post("/inbox", vote(alice, question_id, name, n), alice)
        await hub.drain()
        assert (await decisions.tally(decision)).counts == [1, 0, 1]
        document = feature.decision_question(hub.fed.urls, group, decision, await decisions.tally(decision))
        assert "oneOf" not in document and [o["replies"]["totalItems"] for o in document["anyOf"]] == [1, 0, 1]


async def test_hostile_votes_change_nothing(database_url, tmp_path) -> None:
    """Votes naming another group's decision or one that does not exist, a name that is not a string, a banned voter: nothing stored."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        await hub.group("other")
        alice, mallory = hub.world.person("alice"), hub.world.person("mallory")
        await hub.member(alice)
        await hub.member(mallory)
        decision = await decisions.open_decision(group, question="Q?", options=["Yes", "No"], closes_at=decisions.closing_time("1d"))
        await members.remove(group, await account_for(hub.fed, mallory.id), ban=True)
        wrong_group = f"{hub.group_id('other')}/objects/decision/{decision.id}"
        right = f"{hub.group_id()}/objects/decision/{decision.id}"
        cases = [
            vote(alice, wrong_group, "Yes", 1),
            create(alice, {"id": f"{alice.id}#votes/2", "name": ["Yes"], "inReplyTo": right}, to=[hub.group_id()]),
            vote(mallory, right, "Yes", 3),
            vote(alice, f"{hub.group_id()}/objects/decision/999", "Yes", 4),
        ]
        for activity, who in zip(cases, (alice, alice, mallory, alice)):
            assert (await hub.signed_post("/inbox", activity, who)).status_code == 202
        await hub.drain()
        reasons = [i.last_error for i in await InboxItem.all().order_by("id")]
        assert "unknown decision" in reasons[0] and "name has the wrong type" in reasons[1]
        assert "does not take votes" in reasons[2] and "unknown decision #999" in reasons[3]
        assert await Vote.all().count() == 0 and (await hub.counts()).posts == 0
