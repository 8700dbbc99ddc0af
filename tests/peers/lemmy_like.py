"""A Lemmy-shaped test peer: the Mastodon-like peer process reporting ``lemmy`` in NodeInfo, with communities,
people, posts and private messages shaped as Lemmy makes and reads them.

Every document is the real Lemmy payload of /work/shared/interop/payloads/lemmy with its values replaced
(ids moved onto this peer, texts changed), so the keys and JSON types are Lemmy's own:

- a community is ``objects/group.json`` (``attributedTo`` its moderators collection, ``collections/group_moderators.json``);
- a person is ``objects/person.json``; a post is ``objects/page.json``;
- a post reaches the community's followers as ``community/announce_create_page.json``: the community's
  ``Announce`` of the author's ``Create{Page}`` (FEP-1b12);
- the community (or a person) follows as ``following/follow.json``.

Reading as Lemmy reads (crates/apub of LemmyNet/lemmy): a private message is a ``Create`` whose object is a
``Note`` or ``ChatMessage`` addressed ``to`` exactly one person and never to Public, by an actor whose type
is Person, Service or Organization (``UserTypes``: a Group or Application sender fails to parse, so Lemmy drops
it); a ``Reject`` of a follow is applied silently (RejectFollow removes the pending follow, nobody is told).
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from pathlib import Path
from typing import Any

from tests.peers.mastodon_like import PeerHandle, launch

PAYLOADS = Path("/work/shared/interop/payloads/lemmy")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SENDER_TYPES = ("Person", "Service", "Organization")
"""Lemmy's ``UserTypes``: the only actor types it takes a private message from."""


def real(path: str) -> dict[str, Any]:
    """A real Lemmy payload by its path under payloads/lemmy."""
    return json.loads((PAYLOADS / path).read_text())


def private_message_problems(activity: dict[str, Any], recipient: str, sender_type: str | None) -> list[str]:
    """Why Lemmy would not show ``activity`` to ``recipient`` as a private message; [] when it would."""
    problems = []
    obj = activity.get("object") if isinstance(activity.get("object"), dict) else {}
    if activity.get("type") != "Create":
        problems.append(f"{activity.get('type')} is not a Create")
    if obj.get("type") not in ("Note", "ChatMessage"):
        problems.append(f"object type {obj.get('type')!r} is not a Note or ChatMessage")
    for where, value in (("activity", activity.get("to")), ("object", obj.get("to"))):
        to = value if isinstance(value, list) else [value]
        if to != [recipient]:
            problems.append(f"the {where} is not addressed to exactly {recipient}")
    if PUBLIC in (obj.get("cc") or []) or PUBLIC in (activity.get("cc") or []):
        problems.append("a private message must not be public")
    if obj.get("attributedTo") != activity.get("actor"):
        problems.append("the message is not attributed to the activity's actor")
    if sender_type not in SENDER_TYPES:
        problems.append(f"the sender is a {sender_type}, not one of Lemmy's UserTypes {SENDER_TYPES}")
    if not isinstance(obj.get("content"), str) or not obj.get("content"):
        problems.append("no content")
    return problems


class LemmyPeer:
    """A running Lemmy-shaped server: communities with moderators, people, posts announced by communities."""

    def __init__(self, handle: PeerHandle) -> None:
        self.handle = handle
        self._numbers = itertools.count(1)

    @property
    def base(self) -> str:
        """http://host:port."""
        return self.handle.base

    @property
    def domain(self) -> str:
        """host:port."""
        return self.handle.domain

    def control(self, path: str, payload: dict[str, Any] | None = None, **params: Any) -> Any:
        """The underlying peer's control API."""
        return self.handle.control(path, payload, **params)

    def person(self, name: str) -> dict[str, Any]:
        """A Lemmy user (the real person.json's properties on a peer actor)."""
        shape = real("objects/person.json")
        extra = {"name": name.capitalize(), "summary": f"<p>{name} on a Lemmy-shaped server</p>",
                 "source": {"content": f"{name} on a Lemmy-shaped server", "mediaType": "text/markdown"},
                 "matrixUserId": shape.get("matrixUserId"), "published": shape["published"]}
        return self.control("actors", {"name": name, "type": "Person", "extra": extra})

    def community(self, name: str, *, moderators: list[str]) -> dict[str, Any]:
        """A Lemmy community (group.json's shape) whose moderators collection lists ``moderators`` (people here)."""
        mods = [self.person(m)["id"] for m in moderators]
        collection = real("collections/group_moderators.json")
        collection.update(id=f"{self.base}/d/c/{name}/moderators", orderedItems=mods)
        self.control("documents", {"path": f"c/{name}/moderators", "document": collection})
        shape = real("objects/group.json")
        extra = {key: shape[key] for key in ("mediaType", "sensitive", "postingRestrictedToMods", "language", "published")}
        extra.update(name=name.capitalize(), summary=f"<p>The {name} community</p>",
                     source={"content": f"The {name} community", "mediaType": "text/markdown"},
                     attributedTo=collection["id"], featured=f"{self.base}/d/c/{name}/featured", tag=[])
        return self.control("actors", {"name": name, "type": "Group", "extra": extra})

    def follow(self, name: str, target: str) -> dict[str, Any]:
        """``name`` (a person or a community) follows ``target`` (handle or URL); returns the control answer."""
        return self.control("follow", {"actor": name, "target": target})

    def follow_state(self, follow_id: str) -> str | None:
        """pending / accepted / rejected of an outgoing follow."""
        return next((f["state"] for f in self.control("follows") if f["id"] == follow_id), None)

    def post(self, community: str, author: str, title: str, body: str) -> dict[str, Any]:
        """``author`` posts to ``community``; the community announces the Create to its followers as Lemmy does.

        Returns {page, create, announce, statuses}: the Page is served at its id, the Announce delivered to
        every follower's inbox.
        """
        group = self._actor(community)
        person = self._actor(author)
        number = next(self._numbers)
        page = real("objects/page.json")
        page.update(id=f"{self.base}/d/post/{number}", attributedTo=person["id"], to=[group["id"], PUBLIC],
                    audience=group["id"], name=title, content=f"<p>{body}</p>\n",
                    source={"content": body, "mediaType": "text/markdown"}, published="2026-12-04T12:00:00Z")
        page["attachment"], page["tag"] = [], [{"type": "Mention", "href": group["id"], "name": f"!{community}@{self.domain}"}]
        page.pop("image", None)
        page.pop("updated", None)
        self.control("documents", {"path": f"post/{number}", "document": page})
        create = real("activities/create_or_update/create_page.json")
        create.update(id=f"{self.base}/d/activities/create/{uuid.uuid4()}", actor=person["id"], to=[PUBLIC],
                      cc=[group["id"]], audience=group["id"], object=copy.deepcopy(page))
        announce = real("activities/community/announce_create_page.json")
        announce.update(id=f"{self.base}/d/activities/announce/{uuid.uuid4()}", actor=group["id"], to=[PUBLIC],
                        cc=[f"{group['id']}/followers"], object=create)
        statuses = [self.control("send", {"actor": community, "inbox": inbox, "activity": announce})["status"]
                    for inbox in self.follower_inboxes(community)]
        return {"page": page, "create": create, "announce": announce, "statuses": statuses}

    def follower_inboxes(self, name: str) -> list[str]:
        """Inboxes of the accepted followers of a local actor."""
        actor = self._actor(name)
        return sorted({f.get("shared_inbox") or f["inbox"] for f in actor["followers"].values() if f.get("inbox")})

    def _actor(self, name: str) -> dict[str, Any]:
        return next(a for a in self.control("actors") if a["name"] == name)

    def received(self, kind: str, *, path: str | None = None) -> list[dict[str, Any]]:
        """Valid deliveries of one activity type (to one inbox path when given), as activities."""
        return [r["activity"] for r in self.control("received", type=kind) if r["valid"] and (path is None or r["path"] == path)]

    def private_messages(self, name: str) -> list[str]:
        """Contents of the private messages Lemmy would show ``name`` (see :func:`private_message_problems`)."""
        person = self._actor(name)
        shown = []
        for activity in self.received("Create", path=f"/users/{name}/inbox"):
            sender = self.control("fetch", {"url": activity.get("actor")})
            sender_type = (sender.get("json") or {}).get("type") if sender["status"] == 200 else None
            if not private_message_problems(activity, person["id"], sender_type):
                shown.append(activity["object"]["content"])
        return shown

    def stop(self) -> int | None:
        """Stop the process."""
        return self.handle.stop()


def launch_lemmy(*, log_dir: str | None = None) -> LemmyPeer:
    """Start a Lemmy-shaped peer (NodeInfo software ``lemmy``)."""
    return LemmyPeer(launch("--software", "lemmy", "--software-version", "0.19.5", log_dir=log_dir))
