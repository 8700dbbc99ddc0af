"""Tests of the Mastodon-like peer's timeline: remote statuses applied as Mastodon applies Create, Update, Delete."""

from __future__ import annotations

from tests.peers.mastodon_like import timeline
from tests.peers.mastodon_like.state import Config, PeerState

GROUP = "http://hub.test/groups/aid"
NOTE = f"{GROUP}/objects/announcement/1"


def _state() -> PeerState:
    state = PeerState(Config(port=1))
    state.follows["f1"] = {"actor": "http://127.0.0.1:1/users/alice", "target": GROUP, "state": "accepted"}
    return state


def _activity(kind: str, obj, actor: str = GROUP) -> dict:
    return {"type": kind, "actor": actor, "object": obj}


def test_followed_author_create_update_delete() -> None:
    """A followed account's status is kept, its own Update replaces the text, its Delete of a Tombstone removes it."""
    state = _state()
    note = {"id": NOTE, "type": "Note", "attributedTo": GROUP, "content": "<p>Assembly Friday</p>", "summary": "Meeting"}
    assert timeline.apply(state, _activity("Create", note), GROUP) == "created"
    assert state.timeline[NOTE]["summary"] == "Meeting"
    edited = {**note, "content": "<p>Assembly Saturday</p>", "updated": "2026-12-04T12:00:00Z"}
    assert timeline.apply(state, _activity("Update", edited), GROUP) == "updated"
    assert state.timeline[NOTE]["content"] == "<p>Assembly Saturday</p>" and state.timeline[NOTE]["edited"]
    assert timeline.apply(state, _activity("Delete", {"id": NOTE, "type": "Tombstone"}), GROUP) == "deleted"
    assert state.timeline == {}


def test_strangers_and_impostors_change_nothing() -> None:
    """Statuses of unfollowed, unaddressing accounts are not kept; only the owner edits or deletes."""
    state = _state()
    other = "http://evil.test/users/mallory"
    assert timeline.apply(state, _activity("Create", {"id": f"{other}/1", "type": "Note", "attributedTo": other}, other), other) is None
    note = {"id": NOTE, "type": "Note", "attributedTo": GROUP, "content": "<p>x</p>"}
    timeline.apply(state, _activity("Create", note), GROUP)
    forged = {**note, "attributedTo": other, "content": "<p>forged</p>"}
    assert timeline.apply(state, _activity("Update", forged, other), other) is None
    assert timeline.apply(state, _activity("Delete", NOTE, other), other) is None
    assert state.timeline[NOTE]["content"] == "<p>x</p>"
