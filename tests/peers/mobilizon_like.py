"""A Mobilizon-shaped test peer: the Mastodon-like peer process reporting ``mobilizon`` in NodeInfo, driven to
RSVP the way Mobilizon does, and reading events the way Mobilizon reads them.

Built from the real Mobilizon payloads in /work/shared/interop/payloads/mobilizon: the Event a
Mobilizon server reads must carry the properties (with their JSON types) of the real ``event.json``,
its ``location`` a ``Place`` with an ``address`` shaped like the real ``PostalAddress``. Participation
follows Mobilizon's Participant converter: ``Join {id, actor, object: event url, participationMessage}``
sent to the organiser's inbox, answered by ``Accept``/``Reject`` naming the Join; ``Leave {actor,
object: event url}`` ends it.

Groups are the real ``group.json`` (``members``, ``openness``, ``events``, ``posts``, no ``attributedTo``); a
group publishes an Event as Mobilizon does, a plain ``Create`` (no Announce) by its organiser with the Event
``attributedTo`` the group, and a post as Mobilizon's Post converter makes one: an ``Article`` whose ``actor``
is its author and whose ``attributedTo`` is the group (lib/federation/activity_stream/converter/post.ex).
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from pathlib import Path
from typing import Any

from tests.peers.mastodon_like import PeerHandle, launch

PAYLOADS = Path("/work/shared/interop/payloads/mobilizon/objects")
EVENT_FIELDS = ("type", "id", "name", "content", "url", "attributedTo", "startTime", "endTime", "timezone", "joinMode",
                "maximumAttendeeCapacity", "participantCount", "location", "ical:status", "isOnline", "to", "cc")
"""Properties of a real Mobilizon Event that a Mobilizon server reads to show an event and its places."""


def real_event() -> dict[str, Any]:
    """The real Mobilizon Event payload."""
    return json.loads((PAYLOADS / "event.json").read_text())


def shape_problems(event: dict[str, Any]) -> list[str]:
    """How ``event`` differs in shape from the real Mobilizon Event (missing fields, other JSON types); [] when alike."""
    real = real_event()
    problems = []
    for key in EVENT_FIELDS:
        if key not in event:
            problems.append(f"missing {key}")
        elif real.get(key) is not None and type(event[key]) is not type(real[key]):
            problems.append(f"{key} is {type(event[key]).__name__}, Mobilizon sends {type(real[key]).__name__}")
    location, real_location = event.get("location") or {}, real["location"]
    if location.get("type") != real_location["type"] or not isinstance(location.get("address"), dict):
        problems.append("location is not a Place with an address")
    else:
        address = location["address"]
        if address.get("type") != real_location["address"]["type"]:
            problems.append("address is not a PostalAddress")
        problems += [f"address lacks {k}" for k in real_location["address"] if k not in address]
    if event.get("joinMode") not in ("free", "restricted", "invite"):
        problems.append(f"joinMode {event.get('joinMode')!r} is not one of Mobilizon's")
    return problems


class MobilizonPeer:
    """A running Mobilizon-shaped peer: people on it join and leave events."""

    def __init__(self, handle: PeerHandle) -> None:
        self.handle = handle
        self._numbers = itertools.count(1)

    @property
    def domain(self) -> str:
        """host:port."""
        return self.handle.domain

    def group(self, name: str) -> dict[str, Any]:
        """A Mobilizon group: the real group.json's Mobilizon properties on a peer actor of type Group."""
        shape = json.loads((PAYLOADS / "group.json").read_text())
        base = f"{self.base}/d/@{name}"
        extra = {key: f"{base}/{key}" for key in ("members", "events", "posts", "discussions", "resources", "todos")}
        extra.update(name=name.capitalize(), summary=f"<p>The {name} group</p>", openness=shape["openness"],
                     memberCount=shape["memberCount"], discoverable=True, location=copy.deepcopy(shape["location"]),
                     url=f"{self.base}/@{name}")
        extra["location"]["id"] = f"{self.base}/address/{uuid.uuid4()}"
        return self.control("actors", {"name": name, "type": "Group", "extra": extra})

    def _actor(self, name: str) -> dict[str, Any]:
        return next(a for a in self.control("actors") if a["name"] == name)

    def _to_followers(self, group: str, sender: str, activity: dict[str, Any]) -> list[int]:
        followers = self._actor(group)["followers"].values()
        inboxes = sorted({f.get("shared_inbox") or f["inbox"] for f in followers if f.get("inbox")})
        return [self.control("send", {"actor": sender, "inbox": inbox, "activity": activity})["status"] for inbox in inboxes]

    def publish_event(self, group: str, organiser: str, *, name: str, start: str, end: str,
                      announced: bool = False) -> dict[str, Any]:
        """The group's new Event (the real event.json, re-dated, served at its id) in a plain Create by ``organiser``
        to the group's followers; with ``announced``, wrapped in the group's ``Announce`` instead, as Mobilizon
        relays an event created by a member on another server (``maybe_relay_if_group_activity``)."""
        group_doc, person = self._actor(group), self.person(organiser)
        event = real_event()
        number = next(self._numbers)
        event.update(id=f"{self.base}/d/events/{number}", url=f"{self.base}/d/events/{number}", name=name, startTime=start,
                     endTime=end, attributedTo=group_doc["id"], actor=person["id"], contacts=[person["id"]],
                     cc=[f"{group_doc['id']}/followers"], uuid=str(uuid.uuid4()), attachment=[])
        event["location"]["id"] = f"{self.base}/address/{uuid.uuid4()}"
        self.control("documents", {"path": f"events/{number}", "document": event})
        inner = {k: v for k, v in event.items() if k != "@context"}
        create = {"@context": event["@context"], "id": f"{event['id']}/activity", "type": "Create", "actor": person["id"],
                  "to": event["to"], "cc": event["cc"], "object": inner}
        if not announced:
            return {"event": event, "statuses": self._to_followers(group, organiser, create)}
        announce = {"@context": event["@context"], "id": f"{event['id']}/announce", "type": "Announce",
                    "actor": group_doc["id"], "to": event["to"], "cc": event["cc"], "object": {**create, "@context": None}}
        announce["object"].pop("@context")
        return {"event": event, "statuses": self._to_followers(group, group, announce)}

    def publish_post(self, group: str, author: str, *, title: str, body: str) -> dict[str, Any]:
        """The group's post as Mobilizon makes it (Article: actor the author, attributedTo the group), plain Create."""
        group_doc, person = self._actor(group), self.person(author)
        number = next(self._numbers)
        article = {"type": "Article", "id": f"{self.base}/d/p/{number}", "actor": person["id"], "name": title,
                   "content": f"<p>{body}</p>", "attributedTo": group_doc["id"], "published": "2026-12-04T12:00:00Z",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{group_doc['id']}/followers"]}
        self.control("documents", {"path": f"p/{number}", "document": article})
        create = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{article['id']}/activity", "type": "Create",
                  "actor": person["id"], "to": article["to"], "cc": article["cc"], "object": article}
        return {"post": article, "statuses": self._to_followers(group, author, create)}

    @property
    def base(self) -> str:
        """http://host:port."""
        return self.handle.base

    def control(self, path: str, payload: dict[str, Any] | None = None, **params: Any) -> Any:
        """The underlying peer's control API."""
        return self.handle.control(path, payload, **params)

    def person(self, name: str) -> dict[str, Any]:
        """A person on this server (idempotent)."""
        return self.control("actors", {"name": name})

    def fetch_event(self, name: str, event_id: str) -> dict[str, Any]:
        """The Event as a Mobilizon user opening its URL gets it (a signed GET)."""
        fetched = self.control("fetch", {"url": event_id, "actor": name})
        assert fetched["status"] == 200, fetched
        return fetched["json"]

    def _organiser_inbox(self, event: dict[str, Any]) -> str:
        organiser = self.control("fetch", {"url": event["attributedTo"]})["json"]
        return organiser["inbox"]

    def join(self, name: str, event: dict[str, Any], *, message: str = "", number: int = 1) -> dict[str, Any]:
        """Send Mobilizon's ``Join`` of ``event`` by ``name``; returns {status, activity}."""
        actor = self.person(name)
        join = {"@context": ["https://www.w3.org/ns/activitystreams", {"mz": "https://joinmobilizon.org/ns#"}],
                "id": f"{self.base}/join/event/{name}-{number}", "type": "Join", "actor": actor["id"], "object": event["id"],
                "participationMessage": message or None}
        result = self.control("send", {"actor": name, "inbox": self._organiser_inbox(event), "activity": join})
        return {"status": result["status"], "activity": join}

    def leave(self, name: str, event: dict[str, Any], *, number: int = 1) -> dict[str, Any]:
        """Send Mobilizon's ``Leave`` of ``event`` by ``name``."""
        actor = self.person(name)
        leave = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{self.base}/leave/event/{name}-{number}",
                 "type": "Leave", "actor": actor["id"], "object": event["id"]}
        result = self.control("send", {"actor": name, "inbox": self._organiser_inbox(event), "activity": leave})
        return {"status": result["status"], "activity": leave}

    def received(self, kind: str) -> list[dict[str, Any]]:
        """Valid deliveries of one activity type, as activities."""
        return [r["activity"] for r in self.control("received", type=kind) if r["valid"]]

    def stop(self) -> int | None:
        """Stop the process."""
        return self.handle.stop()


def launch_mobilizon(*, log_dir: str | None = None) -> MobilizonPeer:
    """Start a Mobilizon-shaped peer (NodeInfo software ``mobilizon``)."""
    return MobilizonPeer(launch("--software", "mobilizon", "--software-version", "5.1.0", log_dir=log_dir))
