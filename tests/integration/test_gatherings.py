"""Events (gatherings) end to end with real processes: a hub, a Mobilizon-shaped peer that joins and leaves, a
Friendica-shaped peer that accepts, the Mastodon-like peer voting the RSVP poll, and a second hub whose group
follows the first. Counts are checked on every side: the event page, `hub event list --json`, and the
participantCount (or poll totals) each server received in the latest Update.
"""

from __future__ import annotations

import html
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from hub.clock import now
from tests.integration.hubs import REPO_ROOT
from tests.peers.mobilizon_like import MobilizonPeer, launch_mobilizon, shape_problems
from tests.support.processes import ServerProcess, wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded, as activities."""
    return [r["activity"] for r in peer.control("received", type=kind) if r["valid"]]


def dms(peer, actor_id: str, text: str) -> list[str]:
    """Direct messages to ``actor_id`` containing ``text`` (HTML entities decoded)."""
    return [html.unescape(a["object"]["content"]) for a in received(peer, "Create")
            if a["object"].get("to") == [actor_id] and text in html.unescape(a["object"].get("content", ""))]


def latest(peer, kind: str, object_type: str) -> dict | None:
    """The object of the last Create/Update of ``object_type`` the peer received."""
    found = [a["object"] for a in received(peer, kind) if isinstance(a["object"], dict) and a["object"].get("type") == object_type]
    return found[-1] if found else None


def listed(hub) -> dict:
    """The event as `hub event list aid --json` shows it."""
    return hub.cli_json("event", "list", "aid", "--all")[0]


def test_rsvps_from_mobilizon_friendica_and_mastodon_agree_everywhere(hub_factory, peer_factory, tmp_path) -> None:
    """Join/Leave, Accept and a poll vote fill two places with a waiting list; every side shows the same counts."""
    # Given a hub with a group, a Friendica-shaped member and a Mastodon-like member, and a Mobilizon-shaped server
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.start()
    friendica, mastodon = peer_factory("--software", "friendica"), peer_factory()
    mobilizon = launch_mobilizon(log_dir=str(tmp_path))
    try:
        fried = friendica.control("actors", {"name": "fried"})
        masto = mastodon.control("actors", {"name": "masto"})
        mobi = mobilizon.person("mobi")
        for peer, name in ((friendica, "fried"), (mastodon, "masto")):
            peer.control("follow", {"actor": name, "target": f"aid@{hub.domain}"})
        wait_until_sync(lambda: len(hub.members("aid")) == 2 and all(m["state"] == "accepted" for m in hub.members("aid").values()),
                        timeout=20, message="two members")

        # When organisers create an event with two places
        day = (now() + timedelta(days=6)).date().isoformat()
        hub.cli("event", "create", "aid", "--title", "Tenants' assembly", "--starts", f"{day}T18:00", "--ends", f"{day}T20:00",
                "--timezone", "Europe/Lisbon", "--place", "Casa do Povo", "--street", "Rua da Paz 1", "--locality", "Lisboa",
                "--country", "Portugal", "--latitude", "38.72", "--longitude", "-9.14", "--capacity", "2")
        # Then Friendica's server gets an Event shaped as Mobilizon publishes one, Mastodon's the poll
        event = wait_until_sync(lambda: latest(friendica, "Create", "Event"), timeout=20, message="the Event at Friendica")
        assert shape_problems(event) == [] and event["participantCount"] == 0 and event["maximumAttendeeCapacity"] == 2
        poll = wait_until_sync(lambda: latest(mastodon, "Create", "Question"), timeout=20, message="the poll at Mastodon")
        assert [o["name"] for o in poll["oneOf"]] == ["Going", "Maybe", "Can't go"]
        # And a Mobilizon user opening the event's URL reads it the same way
        fetched = mobilizon.fetch_event("mobi", event["id"])
        assert shape_problems(fetched) == [] and fetched["location"]["address"]["addressLocality"] == "Lisboa"

        # When the Mobilizon user Joins and the Friendica member Accepts, both get a place
        join = mobilizon.join("mobi", fetched, message="I'll bring chairs")
        assert join["status"] == 202
        accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{fried['id']}/accept/1", "type": "Accept",
                  "actor": fried["id"], "object": event["id"], "to": [event["attributedTo"]]}
        assert friendica.control("send", {"actor": "fried", "inbox": f"{hub.group_url('aid')}/inbox", "activity": accept})["status"] == 202
        # Then Mobilizon gets the Accept of its Join, each gets a direct message
        wait_until_sync(lambda: [a for a in received(mobilizon, "Accept") if a["object"]["id"] == join["activity"]["id"]],
                        timeout=20, message="Accept of the Join")
        wait_until_sync(lambda: dms(mobilizon, mobi["id"], "You're going") and dms(friendica, fried["id"], "You're going"),
                        timeout=20, message="confirmations")
        # When the Mastodon member votes "Going": the event is full, she is on the waiting list
        assert mastodon.control("vote", {"actor": "masto", "question": poll["id"], "choice": "Going"})["status"] == 202
        wait_until_sync(lambda: dms(mastodon, masto["id"], "number 1 on the waiting list"), timeout=20, message="waiting list DM")
        assert (listed(hub)["going"], listed(hub)["waiting"]) == (2, 1)

        # When the Mobilizon user Leaves, the Mastodon member moves up and is told
        assert mobilizon.leave("mobi", fetched)["status"] == 202
        wait_until_sync(lambda: dms(mastodon, masto["id"], "A place opened up"), timeout=20, message="moved up")
        # Then the counts agree on every side: CLI, page, the Event's participantCount, the poll's totals
        row = listed(hub)
        assert (row["going"], row["waiting"], row["declined"]) == (2, 0, 1)
        assert sorted(row["people"]["going"]) == sorted([f"fried@{friendica.domain}", f"masto@{mastodon.domain}"])
        page = hub.get(f"/groups/aid/events/{row['id']}").text
        assert "2 going" in page and "on the waiting list" not in page
        wait_until_sync(lambda: (latest(friendica, "Update", "Event") or {}).get("participantCount") == 2, timeout=20,
                        message="participantCount 2 at Friendica")
        wait_until_sync(lambda: (latest(mobilizon, "Update", "Event") or {}).get("participantCount") == 2, timeout=20,
                        message="participantCount 2 at Mobilizon")
        wait_until_sync(lambda: (latest(mastodon, "Update", "Question") or {"oneOf": [{}]})["oneOf"][0].get("replies", {})
                        .get("totalItems") == 2, timeout=20, message="poll totals at Mastodon")
        served = mastodon.control("fetch", {"url": event["id"]})["json"]
        assert served["participantCount"] == 2 and served["remainingAttendeeCapacity"] == 0

        # When organisers move it to another place, then cancel it, people going hear of both
        hub.cli("event", "edit", str(row["id"]), "--place", "Jardim da Estrela", "--street", "Praça da Estrela")
        wait_until_sync(lambda: dms(mastodon, masto["id"], "New place") and dms(friendica, fried["id"], "Jardim da Estrela"),
                        timeout=20, message="change of place by DM")
        hub.cli("event", "cancel", str(row["id"]))
        wait_until_sync(lambda: (latest(friendica, "Update", "Event") or {}).get("ical:status") == "CANCELLED", timeout=20,
                        message="cancelled Event")
        wait_until_sync(lambda: dms(mastodon, masto["id"], "Cancelled") and dms(friendica, fried["id"], "Cancelled"), timeout=20,
                        message="cancellation DMs")
        assert dms(mobilizon, mobi["id"], "Cancelled") == []  # she had left
        # And answers to the cancelled event are refused, nothing changes
        assert mobilizon.join("mobi", fetched, number=2)["status"] == 202
        wait_until_sync(lambda: hub.query("SELECT last_error FROM inbox_items WHERE activity_uri = %s",
                                          f"{mobilizon.base}/join/event/mobi-2")[0]["last_error"], timeout=20, message="refused")
        assert listed(hub)["going"] == 2 and listed(hub)["state"] == "cancelled"
    finally:
        mobilizon.stop()


def test_events_of_a_followed_group_on_another_hub(hub_factory) -> None:
    """A group following a group on another hub lists that group's events with their origin."""
    a, b = hub_factory("a"), hub_factory("b")
    a.cli("group", "create", "aid", "--name", "Mutual Aid")
    b.cli("group", "create", "berlin", "--name", "Berlin Housing")
    a.start()
    b.start()
    b.cli("group", "follow", "berlin", f"aid@{a.domain}")
    wait_until_sync(lambda: a.members("aid").get(b.group_url("berlin"), {}).get("state") == "accepted", timeout=20,
                    message="berlin follows aid")
    day = (now() + timedelta(days=4)).date().isoformat()
    a.cli("event", "create", "aid", "--title", "Solidarity picnic", "--starts", f"{day}T12:00", "--ends", f"{day}T15:00",
          "--timezone", "Europe/Lisbon", "--place", "Jardim da Estrela", "--locality", "Lisboa")
    page = wait_until_sync(lambda: (lambda text: text if "Solidarity picnic" in text else None)(b.get("/groups/berlin").text),
                           timeout=30, message="the followed group's event on berlin's page")
    assert "From Mutual Aid" in page and "Jardim da Estrela" in page


@pytest.mark.postgres
def test_many_joins_at_once_never_overbook(hub_factory, peer_factory, database_backend) -> None:
    """Thirty people on a Mobilizon-shaped server Join a ten-place event at once; on PostgreSQL two more
    `hub worker` processes handle the inbox side by side. Exactly ten go, twenty wait, in arrival order."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    day = (now() + timedelta(days=3)).date().isoformat()
    hub.cli("event", "create", "aid", "--title", "Crowded assembly", "--starts", f"{day}T18:00", "--ends", f"{day}T19:00",
            "--timezone", "UTC", "--place", "Small room", "--capacity", "10")
    hub.start()
    workers = [worker_process(hub, f"worker-{n}") for n in range(2)] if database_backend == "postgres" else []
    try:
        mobilizon = MobilizonPeer(peer_factory("--software", "mobilizon"))
        names = [f"p{n}" for n in range(30)]
        for name in names:
            mobilizon.person(name)
        event = mobilizon.fetch_event("p0", f"{hub.group_url('aid')}/objects/event/1")
        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(lambda name: mobilizon.join(name, event)["status"], names))
        assert statuses == [202] * 30
        wait_until_sync(lambda: listed(hub)["going"] + listed(hub)["waiting"] == 30, timeout=60, message="thirty answers")
        row = listed(hub)
        assert (row["going"], row["waiting"]) == (10, 20)
        accepted = {a["object"]["actor"] for a in wait_until_sync(lambda: received_accepts(mobilizon, 10), timeout=60,
                                                                  message="ten Accepts")}
        assert len(accepted) == 10 and {a.rsplit("/", 1)[1] for a in accepted} == {h.split("@")[0] for h in row["people"]["going"]}
        positions = hub.query("SELECT status, arrived_at, id FROM rsvps ORDER BY arrived_at, id")
        assert [p["status"] for p in positions] == ["going"] * 10 + ["waiting"] * 20  # first come, first served
    finally:
        for process in workers:
            process.stop()


def received_accepts(peer: MobilizonPeer, count: int) -> list[dict] | None:
    """The Accepts of Joins the peer received, once there are ``count`` of them."""
    found = [a for a in peer.received("Accept") if isinstance(a["object"], dict) and a["object"].get("type") == "Join"]
    return found if len(found) >= count else None


def worker_process(hub, name: str) -> ServerProcess:
    """An extra `hub worker` on the hub's database (PostgreSQL: several workers claim the inbox side by side)."""
    process = ServerProcess([sys.executable, "-m", "hub", "worker"], cwd=REPO_ROOT, env=hub.env, log_dir=str(hub.data_dir),
                            name=name)
    wait_until_sync(lambda: "running" in process.log_text() or not process.alive(), timeout=20, message=f"{name} started")
    assert process.alive(), process.log_text()
    return process
