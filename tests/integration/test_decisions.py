"""Decisions end to end with real processes: a hub and the Mastodon-like peer voting from members' and others' accounts.

Organisers use the hub's CLI; members vote in the group's poll from the peer, as Mastodon does; what
members see is what their server received.
"""

from __future__ import annotations

import pytest

from tests.integration.test_campaigns import received
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]


def votes(hub, decision_id: int) -> list[tuple[str, int, bool]]:
    """(voter handle, option index, member) stored for a decision, in order."""
    rows = hub.query("SELECT a.handle AS handle, v.choice AS choice, v.member AS member FROM votes v "
                     "JOIN accounts a ON a.id = v.account_id WHERE v.decision_id = %s ORDER BY a.handle, v.choice", decision_id)
    return [(r["handle"].split("@")[0], r["choice"], bool(r["member"])) for r in rows]


def inbox_reasons(hub) -> list[str]:
    """The recorded outcome of every processed inbox item, oldest first."""
    return [r["last_error"] or "" for r in hub.query("SELECT last_error FROM inbox_items ORDER BY id")]


def test_decision_voted_by_members_others_and_repeats(hub_factory, peer_factory):
    """Members vote (one changes her vote), a non-member is kept apart, bad and late votes store nothing; the worker
    closes the decision at its time and the peer gets the result Update with the right counts."""
    # Given a hub with a group, and a Mastodon-like server with two members and a stranger
    hub = hub_factory("hub")
    hub.cli("group", "create", "assembly", "--name", "Neighbourhood Assembly")
    hub.start()
    peer = peer_factory()
    for name in ("alice", "bob", "carol"):
        peer.control("actors", {"name": name})
    for name in ("alice", "bob"):
        peer.control("follow", {"actor": name, "target": f"assembly@{hub.domain}"})
    wait_until_sync(lambda: len(received(peer, "Accept")) == 2, timeout=20, message="two Accepts")

    # When organisers open a single-choice decision with a quorum of 2, closing in Madrid time
    out = hub.cli("decision", "open", "assembly", "Where do we meet in January?", "--option", "Library", "--option", "Park",
                  "--option", "Town hall", "--closes", "2d", "--timezone", "Europe/Madrid", "--quorum", "2").stdout
    decision_id = int(out.split("#")[1].split()[0])
    # Then the members' server gets the group's Question: a poll Mastodon shows
    question = wait_until_sync(lambda: [a["object"] for a in received(peer, "Create") if a["object"]["type"] == "Question"],
                               timeout=20, message="the decision as a Question")[0]
    assert question["attributedTo"] == hub.group_url("assembly") and question["endTime"].endswith("Z")
    assert [o["name"] for o in question["oneOf"]] == ["Library", "Park", "Town hall"] and question["votersCount"] == 0
    assert "Europe/Madrid" in question["content"] and "Quorum: 2" in question["content"]

    # When alice votes Library then changes to Park, bob votes Park, carol (not a member) votes Library,
    # and bob votes for an option the decision does not have
    for actor, choice in [("alice", "Library"), ("alice", "Park"), ("bob", "Park"), ("carol", "Library"), ("bob", "Beach")]:
        assert peer.control("vote", {"actor": actor, "question": question["id"], "choice": choice})["status"] == 202
        wait_until_sync(lambda: all(r for r in inbox_reasons(hub)), timeout=20, message=f"{actor}'s vote processed")
    # Then one vote per member counts, carol's is apart, and the unknown option stored nothing
    assert votes(hub, decision_id) == [("alice", 1, True), ("bob", 1, True), ("carol", 0, False)]
    reasons = inbox_reasons(hub)[-5:]
    assert "vote replaced (Park)" in reasons[1] and "kept apart" in reasons[3] and "no option 'Beach'" in reasons[4]
    shown = hub.cli_json("decision", "show", str(decision_id))
    assert [o["votes"] for o in shown["options"]] == [0, 2, 0] and [o["others"] for o in shown["options"]] == [1, 0, 0]

    # When the closing time passes, the worker closes the decision and publishes the result
    hub.query_write("UPDATE decisions SET closes_at = %s WHERE id = %s", "2020-01-01 00:00:00+00:00", decision_id)
    update = wait_until_sync(lambda: [a["object"] for a in received(peer, "Update") if a["object"]["id"] == question["id"]],
                             timeout=30, message="the result as an Update of the Question")[0]
    # Then the peer has the final counts: members only, two voters, closed, the result in the text
    assert [o["replies"]["totalItems"] for o in update["oneOf"]] == [0, 2, 0] and update["votersCount"] == 2
    assert update["closed"] and "Result: <strong>Park</strong>" in update["content"] and "Quorum met" in update["content"]
    assert "1 non-member(s) also voted (not counted)" in update["content"]
    # And a vote after closing is refused and stores nothing
    peer.control("vote", {"actor": "bob", "question": question["id"], "choice": "Library"})
    wait_until_sync(lambda: "closed" in inbox_reasons(hub)[-1], timeout=20, message="the late vote refused")
    assert votes(hub, decision_id) == [("alice", 1, True), ("bob", 1, True), ("carol", 0, False)]
    # And the decision log shows the result, the quorum and the non-member's vote apart
    page = hub.get("/groups/assembly/decisions").text
    assert "Result: Park" in page and "Quorum met: 2 of 2 needed." in page and "Also voted: 1 non-member(s), not counted" in page
    served = peer.control("fetch", {"url": question["id"]})
    assert served["status"] == 200 and served["json"]["closed"] and served["json"]["votersCount"] == 2
