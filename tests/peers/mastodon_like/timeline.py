"""What the peer's users see of remote accounts they follow: statuses applied as Mastodon applies them.

Mastodon (app/lib/activitypub/activity/{create,update,delete}.rb) keeps a remote status when its
``Create`` comes from the status's own author (``actor`` = ``attributedTo``) and someone local
follows that author or is addressed; it applies an ``Update`` only from that same author to a
status it has, and a ``Delete`` (of the id, or of a ``Tombstone`` with the id) only from its owner.
An ``Announce`` of a status id by an account someone local follows makes the peer fetch the status
and keep it (with the booster in ``boosted_by``) when it is public or unlisted; an ``Undo`` of that
``Announce`` drops the boost but, as in Mastodon, not the status, which only its author's ``Update``
and ``Delete`` change: sent by the author, or forwarded by another server with the author's Linked
Data signature (app.py checks that, ldsign.py). Anything else changes nothing. Tests read the result
at ``GET /_control/timeline``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

STATUS_TYPES = ("Note", "Question", "Article", "Page")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i if isinstance(i, str) else i.get("id") for i in items if isinstance(i, (str, dict))]


def _followed(state: Any, actor_id: str) -> bool:
    return any(f["target"] == actor_id and f.get("state") == "accepted" for f in state.follows.values())


def _addressed(state: Any, obj: dict[str, Any]) -> bool:
    local = {a.id for a in state.actors.values()}
    return bool(local & set(_ids(obj.get("to")) + _ids(obj.get("cc"))))


def _status(obj: dict[str, Any], actor_id: str) -> dict[str, Any]:
    return {
        "id": obj["id"], "actor": actor_id, "type": obj.get("type"), "content": obj.get("content", ""),
        "summary": obj.get("summary"), "sensitive": bool(obj.get("sensitive")), "to": _ids(obj.get("to")),
        "cc": _ids(obj.get("cc")), "attachment": obj.get("attachment") or [], "edited": obj.get("updated"),
    }


def apply(state: Any, activity: dict[str, Any], actor_id: str) -> str | None:
    """Apply a verified activity by ``actor_id`` to the timeline; what changed (created/updated/deleted) or None."""
    kind = activity.get("type")
    obj = activity.get("object")
    if kind == "Create" and isinstance(obj, dict) and obj.get("type") in STATUS_TYPES and isinstance(obj.get("id"), str):
        if obj.get("attributedTo") != actor_id or obj["id"] in state.timeline:
            return None
        if not (_followed(state, actor_id) or _addressed(state, obj)):
            return None
        state.timeline[obj["id"]] = _status(obj, actor_id)
        return "created"
    if kind == "Update" and isinstance(obj, dict) and obj.get("id") in state.timeline:
        current = state.timeline[obj["id"]]
        if current["actor"] != actor_id or obj.get("attributedTo") != actor_id:
            return None
        state.timeline[obj["id"]] = {**current, **_status(obj, actor_id), "edited": obj.get("updated") or "edited"}
        return "updated"
    if kind == "Undo" and isinstance(obj, dict) and obj.get("type") == "Announce" and obj.get("actor") == actor_id:
        current = state.timeline.get(obj.get("object")) if isinstance(obj.get("object"), str) else None
        if current is None or actor_id not in current.get("boosted_by", []):
            return None
        current["boosted_by"].remove(actor_id)
        return "unboosted"
    if kind == "Delete":
        target = obj.get("id") if isinstance(obj, dict) else obj
        current = state.timeline.get(target) if isinstance(target, str) else None
        if current is None or current["actor"] != actor_id:
            return None
        del state.timeline[target]
        return "deleted"
    return None


def boost(state: Any, obj: dict[str, Any], booster: str, requested: str) -> str | None:
    """Keep the status ``booster`` announced (fetched from ``requested``): only a followed booster's boost of a
    public or unlisted status served at its own id, attributed to an account of that status's host."""
    author = obj.get("attributedTo")
    if not _followed(state, booster) or obj.get("id") != requested or obj.get("type") not in STATUS_TYPES:
        return None
    if not isinstance(author, str) or urlsplit(author).netloc != urlsplit(requested).netloc:
        return None
    if PUBLIC not in _ids(obj.get("to")) + _ids(obj.get("cc")):
        return None
    current = state.timeline.setdefault(requested, {**_status(obj, author), "boosted_by": []})
    if booster not in current.setdefault("boosted_by", []):
        current["boosted_by"].append(booster)
    return "boosted"
