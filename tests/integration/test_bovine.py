"""Interop with a real third-party server: bovine-herd (from PyPI, in its own venv) follows a group and gets its Announce."""

from __future__ import annotations

import pytest

from tests.integration.bovine_peer import BovinePeer, bovine_available, bovine_unavailable_reason
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.timeout(300)]


def _type(item: dict) -> str:
    kind = item.get("type") or item.get("@type") or ""
    return kind[0] if isinstance(kind, list) else kind


def _object_id(item: dict) -> str | None:
    obj = item.get("object")
    return obj if isinstance(obj, str) else (obj or {}).get("id")


def test_bovine_follows_a_group_and_receives_the_announce(hub_factory, peer_factory, tmp_path):
    """A bovine actor follows a Causeway group, gets the Accept, and receives the group's Announce of a member's post."""
    if not bovine_available():
        pytest.skip(bovine_unavailable_reason())
    hub = hub_factory("a")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    hub.start()
    bovine = BovinePeer.start(tmp_path / "bovine")
    try:
        bea = bovine.register("bea")
        bovine.follow("bea", hub.group_url("climate"))
        accept = bovine.wait_for_inbox("bea", lambda item: _type(item) == "Accept", timeout=30)
        assert accept["actor"] == hub.group_url("climate")
        wait_until_sync(lambda: hub.members("climate").get(bea, {}).get("state") == "accepted",
                        timeout=20, message="bovine's actor is a member")

        # A Mastodon-like member posts to the group; the group's Announce reaches bovine's inbox
        peer = peer_factory()
        peer.control("actors", {"name": "alice"})
        peer.control("follow", {"actor": "alice", "target": f"climate@{hub.domain}"})
        wait_until_sync(lambda: [r for r in peer.control("received", type="Accept") if r["valid"]], timeout=20, message="alice joined")
        post = peer.control("post", {"actor": "alice", "content": "Bike to work week", "mentions": [hub.group_url("climate")]})
        announce = bovine.wait_for_inbox(
            "bea", lambda item: _type(item) == "Announce" and _object_id(item) == post["note_id"], timeout=30
        )
        assert announce["actor"] == hub.group_url("climate")
    finally:
        bovine.stop()
