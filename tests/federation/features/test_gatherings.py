"""Gatherings (a group's events) on the wire, in-process: the Mobilizon-shaped Event and the Mastodon poll,
RSVPs by Join/Leave, Accept/TentativeAccept/Reject, votes and replies, and events of followed groups.

The real app runs over ASGI with the fediverse mocked (tests/federation/harness.py).
"""

from __future__ import annotations

import asyncio
import html
import json
from datetime import timedelta
from pathlib import Path

import pytest

from federation import registry
from federation.features import gatherings as wire
from federation.runtime import build_worker
from federation.nodeinfo import peer_software
from federation.remote import account_for
from federation.vocab import parse_time
from hub.clock import now
from hub.models import Account, GroupFollow, RemoteGathering, Rsvp
from hub.services import gatherings, rsvps
from hub.services.gatherings import Place
from tests.federation.harness import PUBLIC, RemoteWorld, running_hub
from tests.hub.gathering_helpers import details

pytestmark = pytest.mark.db
PAYLOADS = Path("/work/shared/interop/payloads")
MOBILIZON_EVENT = PAYLOADS / "mobilizon" / "objects" / "event.json"


def delivered(hub, kind: str, inbox_part: str = "") -> list[dict]:
    """Activities of one type the hub delivered (to inboxes containing ``inbox_part``)."""
    return [body for url, body in hub.world.deliveries if body.get("type") == kind and inbox_part in url]


def activity(actor, kind: str, obj, suffix: str) -> dict:
    """An activity of ``kind`` by ``actor`` about ``obj``."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.id}/{suffix}", "type": kind,
            "actor": actor.id, "object": obj}


def mobilizon_event_keys() -> set[str]:
    """The properties of a real Mobilizon Event that Causeway's Event must carry too."""
    real = json.loads(MOBILIZON_EVENT.read_text())
    return {"id", "type", "name", "content", "startTime", "endTime", "timezone", "location", "joinMode",
            "maximumAttendeeCapacity", "participantCount", "ical:status", "url", "attributedTo", "isOnline"} & set(real)


async def test_event_and_poll_go_out_and_rsvps_from_every_app_count(database_url, tmp_path) -> None:
    """Event to Mobilizon/Friendica servers, poll to Mastodon; Join, Accept, TentativeAccept, vote and reply all count."""
    world = RemoteWorld()
    world.software_of.update({"mobilizon.test": "mobilizon", "friendica.test": "friendica"})
    async with running_hub(database_url, tmp_path, world=world) as hub:
        # Given a group with members on Mastodon and Friendica, and an event with two places
        group = await hub.group("aid")
        masto, fried = world.person("masto"), world.person("fried", "friendica.test")
        mobi = world.actor("https://mobilizon.test/@mobi")
        await hub.member(masto, "aid")
        await hub.member(fried, "aid")
        for host in ("remote.test", "friendica.test"):  # learnt when they followed
            await peer_software(hub.fed, host)
        event = await gatherings.create_gathering(group, details(capacity=2))
        await hub.drain()
        # Then Friendica's server got the Event shaped like Mobilizon's, Mastodon's the poll
        [create_event] = delivered(hub, "Create", "friendica.test")
        doc = create_event["object"]
        assert doc["type"] == "Event" and mobilizon_event_keys() <= set(doc)
        assert doc["location"]["type"] == "Place" and doc["location"]["address"]["type"] == "PostalAddress"
        assert doc["location"]["address"]["addressLocality"] == "Lisboa" and doc["timezone"] == "Europe/Lisbon"
        assert (doc["joinMode"], doc["maximumAttendeeCapacity"], doc["participantCount"]) == ("free", 2, 0)
        assert parse_time(doc["startTime"]) == event.starts_at and PUBLIC in doc["cc"]
        [create_poll] = delivered(hub, "Create", "remote.test")
        poll = create_poll["object"]
        assert poll["type"] == "Question" and [o["name"] for o in poll["oneOf"]] == ["Going", "Maybe", "Can't go"]
        # And both are served at their ids
        served = await hub.get(f"/groups/aid/objects/event/{event.id}", accept="application/activity+json")
        assert served.status_code == 200 and served.json()["type"] == "Event"

        # When a Mobilizon user Joins, the Friendica member Accepts, the Mastodon member votes "Maybe"
        join = activity(mobi, "Join", doc["id"], "join/1")
        join["participationMessage"] = "Count me in"
        for actor, act in ((mobi, join), (fried, activity(fried, "Accept", doc["id"], "accept/1"))):
            assert (await hub.signed_post("/inbox", act, actor)).status_code == 202
        vote = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{masto.id}#votes/1/activity", "type": "Create",
                "actor": masto.id, "to": [hub.group_id("aid")],
                "object": {"id": f"{masto.id}#votes/1", "type": "Note", "name": "Maybe", "attributedTo": masto.id,
                           "to": [hub.group_id("aid")], "inReplyTo": poll["id"]}}
        assert (await hub.signed_post("/groups/aid/inbox", vote, masto)).status_code == 202
        await hub.drain()
        # Then two are going, one maybe; the Join got an Accept naming it; each got a direct message
        assert await rsvps.counts(event) == rsvps.Counts(going=2, maybe=1)
        [accept] = delivered(hub, "Accept", "mobilizon.test")
        assert accept["object"]["id"] == join["id"] and accept["object"]["type"] == "Join"
        dms = [a["object"] for a in delivered(hub, "Create") if a["object"].get("to") in ([mobi.id], [fried.id], [masto.id])]
        assert len(dms) == 3 and any("You're going" in html.unescape(d["content"]) for d in dms)
        # And the Update of the Event carries the new participantCount
        updates = [a["object"] for a in delivered(hub, "Update", "friendica.test") if a["object"]["type"] == "Event"]
        assert updates[-1]["participantCount"] == 2

        # When the Mastodon member changes her mind by reply ("ich komme"), the event is full: she waits
        reply = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{masto.id}/statuses/9/activity",
                 "type": "Create", "actor": masto.id, "to": [PUBLIC], "cc": [hub.group_id("aid")],
                 "object": {"id": f"{masto.id}/statuses/9", "type": "Note", "attributedTo": masto.id, "to": [PUBLIC],
                            "cc": [hub.group_id("aid")], "inReplyTo": poll["id"], "content": "<p>Ich komme!</p>"}}
        assert (await hub.signed_post("/inbox", reply, masto)).status_code == 202
        # And the Mobilizon user Leaves: she moves up from the waiting list
        assert (await hub.signed_post("/inbox", activity(mobi, "Leave", doc["id"], "leave/1"), mobi)).status_code == 202
        await hub.drain()
        statuses = {r.account.uri: r.status for r in await Rsvp.all().prefetch_related("account")}
        assert statuses == {mobi.id: "declined", fried.id: "going", masto.id: "going"}
        assert any("A place opened up" in a["object"]["content"] for a in delivered(hub, "Create")
                   if a["object"].get("to") == [masto.id])
        assert (await hub.counts()).posts == 0  # answers never become group posts

        # When Friendica sends TentativeAccept, then Reject, the counts follow
        for n, kind in enumerate(("TentativeAccept", "Reject")):
            assert (await hub.signed_post("/inbox", activity(fried, kind, doc["id"], f"rsvp/{n}"), fried)).status_code == 202
            await hub.drain()
        assert await rsvps.counts(event) == rsvps.Counts(going=1, declined=2)


async def test_answers_refused_for_cancelled_events_and_unknown_options(database_url, tmp_path) -> None:
    """A vote for an option the poll lacks and a Join of a cancelled event are ignored with a reason; nothing stored."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        masto = hub.world.person("masto")
        event = await gatherings.create_gathering(group, details())
        poll = wire.object_uri(hub.fed.urls, "aid", "eventpoll", event.id)
        vote = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{masto.id}#votes/2/activity", "type": "Create",
                "actor": masto.id, "to": [hub.group_id("aid")],
                "object": {"id": f"{masto.id}#votes/2", "type": "Note", "name": "Definitely", "attributedTo": masto.id,
                           "to": [hub.group_id("aid")], "inReplyTo": poll}}
        await hub.signed_post("/inbox", vote, masto)
        await gatherings.cancel_gathering(event)
        join = activity(masto, "Join", wire.object_uri(hub.fed.urls, "aid", "event", event.id), "join/2")
        await hub.signed_post("/inbox", join, masto)
        await hub.drain()
        assert "no option 'Definitely'" in (await hub.inbox_item(vote["id"])).last_error
        assert "cancelled" in (await hub.inbox_item(join["id"])).last_error
        assert await Rsvp.all().count() == 0


async def test_a_spanish_groups_poll_is_in_spanish_and_votes_in_any_language_count(database_url, tmp_path) -> None:
    """The poll Mastodon members see is written in the group's language; a vote counts whatever language named it."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a Spanish-speaking group with members on Mastodon and an event of three places needing approval
        group = await hub.group("ayuda", language="es")
        people = [hub.world.person(name) for name in ("ana", "bea", "eve")]
        for person in people:
            await hub.member(person, "ayuda")
        event = await gatherings.create_gathering(group, details(capacity=3, join_mode="restricted"))
        await hub.drain()
        # Then the poll's options, its lines and its hint are in Spanish
        [create_poll] = delivered(hub, "Create", "remote.test")
        poll = create_poll["object"]
        assert [o["name"] for o in poll["oneOf"]] == ["Voy", "Quizás", "No puedo ir"]
        content = html.unescape(poll["content"])
        assert "Cuándo: " in content and "Dónde: " in content and "0 asistirán de 3 plazas" in content
        assert "la organización aprueba a cada participante" in content and "responde «voy»" in content
        assert poll["contentMap"] == {"es": poll["content"]} and "When:" not in content
        assert gatherings.local_when(event, "es") in content
        # When one votes "Quizás" (the Spanish option) and another "Can't go" (the English one, from an older poll)
        for n, (person, name) in enumerate(zip(people, ("Quizás", "Can't go"), strict=False)):
            vote = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{person.id}#votes/{n}/activity",
                    "type": "Create", "actor": person.id, "to": [hub.group_id("ayuda")],
                    "object": {"id": f"{person.id}#votes/{n}", "type": "Note", "name": name, "attributedTo": person.id,
                               "to": [hub.group_id("ayuda")], "inReplyTo": poll["id"]}}
            assert (await hub.signed_post("/groups/ayuda/inbox", vote, person)).status_code == 202
        await hub.drain()
        # Then both count
        assert await rsvps.counts(event) == rsvps.Counts(maybe=1, declined=1)


async def test_event_of_a_followed_group_is_stored_with_its_origin(database_url, tmp_path) -> None:
    """A real Mobilizon Event from a group a local group follows is stored and listed; from others it is ignored."""
    world = RemoteWorld()
    world.software_of["rendezvous.nomagic.uk"] = "mobilizon"
    async with running_hub(database_url, tmp_path, world=world) as hub:
        group = await hub.group("aid")
        publisher = world.actor("https://rendezvous.nomagic.uk/@devon_caledonian_society", actor_type="Group")
        event = json.loads(MOBILIZON_EVENT.read_text())
        event["startTime"] = (now() + timedelta(days=3)).isoformat()
        event["endTime"] = (now() + timedelta(days=3, hours=2)).isoformat()
        # (the group publishes its event: the activity's actor is the Event's attributedTo, as origin rules require)
        create = {"@context": event["@context"], "id": f"{event['id']}/activity", "type": "Create", "actor": publisher.id,
                  "to": event["to"], "object": event}
        # Given no local group follows the publisher, the Event is ignored
        await hub.signed_post("/inbox", create, publisher)
        await hub.drain()
        assert await RemoteGathering.all().count() == 0
        # When the group follows it, the Event is stored with its origin and listed for the group
        origin = await account_for(hub.fed, publisher.id)
        await GroupFollow.create(group=group, target=origin, follow_uri=f"{hub.group_id('aid')}#follows/1", state="accepted")
        assert (await hub.signed_post("/inbox", dict(create, id=f"{create['id']}/2"), publisher)).status_code == 202
        await hub.drain()
        [listed] = await gatherings.followed_gatherings(group)
        assert listed.title == "Caledonian scottish dance class" and listed.origin.uri == publisher.id
        assert "The Kenn Centre" in listed.place and listed.timezone == "Europe/London"
        # And an Update cancelling it, then a Delete, follow
        update = dict(create, id=f"{create['id']}/3", type="Update", object=dict(event, **{"ical:status": "CANCELLED"}))
        await hub.signed_post("/inbox", update, publisher)
        await hub.drain()
        assert (await RemoteGathering.get(uri=event["id"])).state == "cancelled"
        delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{event['id']}/delete", "type": "Delete",
                  "actor": publisher.id, "object": event["id"]}
        await hub.signed_post("/inbox", delete, publisher)
        await hub.drain()
        assert await RemoteGathering.all().count() == 0
        assert await Account.filter(uri=publisher.id).exists()


def test_remote_details_refuse_events_without_start() -> None:
    """An Event without startTime or id cannot be listed."""
    event = json.loads(MOBILIZON_EVENT.read_text())
    with pytest.raises(Exception, match="startTime"):
        wire.remote_details({k: v for k, v in event.items() if k != "startTime"})
    assert wire.remote_details(event).capacity is None and wire.remote_details(event).participant_count == 0


async def test_worker_sends_reminders_and_changes_to_people_going(database_url, tmp_path) -> None:
    """The running worker queues the hour reminder; people going get it by direct message, and the change of place too."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        going, maybe = hub.world.person("going"), hub.world.person("maybe")
        start = now() + timedelta(minutes=50)
        event = await gatherings.create_gathering(group, details(starts=start, ends=start + timedelta(hours=1), timezone="UTC",
                                                                 remind_before=(60,)))
        await rsvps.respond(event, await account_for(hub.fed, going.id), "going", via="join")
        await rsvps.respond(event, await account_for(hub.fed, maybe.id), "maybe", via="vote")
        await gatherings.edit_gathering(event, gatherings.replace(gatherings.details_of(event), place=Place(name="Town hall")))
        worker = build_worker(hub.fed, sample_every=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))

        def to(actor, text):
            return [a for a in delivered(hub, "Create") if a["object"].get("to") == [actor.id] and text in a["object"]["content"]]

        try:
            for _ in range(200):
                if to(going, "Reminder") and to(going, "New place"):
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await task
        [reminder] = to(going, "Reminder")
        assert "starts in 1 hour:" in reminder["object"]["content"] and "Town hall" in reminder["object"]["content"]
        assert to(maybe, "Reminder") == [] and to(maybe, "New place") == []


def test_the_feature_in_the_registry() -> None:
    """Join, Leave and TentativeAccept belong to events; on Accept, Reject and Delete events run first and decline the rest."""
    chains = registry.REGISTRY.inbound_chains
    assert {chains[(kind, "*")].owner[0] for kind in ("Join", "Leave", "TentativeAccept")} == {"gatherings"}
    assert chains[("Create", "Event")].owner[0] == "gatherings" and chains[("Create", "*")].owner[0] == "posts"
    for kind in ("Accept", "Reject", "Delete"):
        assert "gatherings" in [name for name, _ in chains[(kind, "*")].firsts] and chains[(kind, "*")].owner[0] != "gatherings"
    assert set(wire.OUTBOUND_HANDLERS) <= set(registry.OUTBOUND) and wire.route_reply in registry.REGISTRY.hooks["reply"]
