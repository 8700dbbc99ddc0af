"""``hub backup`` of a running ``hub serve`` under inbox load, restored elsewhere and served by a second hub process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.hubs import AS_ACCEPT, Hub
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SENDERS = 3


class InboxLoad:
    """Threads posting signed Create(Note) activities to the hub's shared inbox through the peer, recording each answer."""

    def __init__(self, peer, hub: Hub, actors: list[dict]) -> None:
        self.peer, self.hub, self.actors = peer, hub, actors
        self.acknowledged: list[tuple[str, float]] = []
        """(activity id, monotonic time the 202 came back)."""
        self.other: list[int] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(len(actors))]

    def _send(self, n: int) -> None:
        actor = self.actors[n]["id"]
        count = 0
        while not self.stop.is_set():
            count += 1
            note = f"{actor}/statuses/load-{count}"
            activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity", "type": "Create",
                        "actor": actor, "to": [PUBLIC], "cc": [self.hub.group_url("climate")],
                        "object": {"id": note, "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                                   "cc": [self.hub.group_url("climate")], "content": f"<p>Load note {count}</p>",
                                   "published": "2026-12-04T12:00:00Z"}}
            result = self.peer.control("send", {"actor": self.actors[n]["name"], "inbox": f"{self.hub.base}/inbox",
                                                "activity": activity})
            if result["status"] == 202:
                self.acknowledged.append((activity["id"], time.monotonic()))
            else:
                self.other.append(result["status"])

    def __enter__(self) -> InboxLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_backup_under_inbox_load_restores_the_same_hub(hub_factory, peer_factory, fresh_database_url, tmp_path: Path) -> None:
    """Everything acknowledged before the backup began is in the restored hub, which serves the same group and key."""
    # Given a serving hub with a group, a call with an image, and a Mastodon-like server whose users post to it
    hub = hub_factory("a")
    hub.cli("group", "create", "climate", "--name", "Climate Action")
    Image.new("RGB", (80, 60), "teal").save(tmp_path / "flyer.png")
    hub.cli("call", "create", "climate", "--what", "Flyers", "--needed", "3", "--image", str(tmp_path / "flyer.png"),
            "--alt", "A stack of flyers")
    hub.start()
    peer = peer_factory()
    actors = [peer.control("actors", {"name": f"user{n}"}) for n in range(SENDERS)]
    before = hub.get("/groups/climate", headers={"Accept": AS_ACCEPT}).json()
    image = hub.query("SELECT name FROM media_files")[0]["name"]
    image_bytes = hub.get(f"/media/{image}").content

    # When `hub backup` runs while the inbox keeps receiving signed POSTs
    archive = tmp_path / "hub.tar.gz"
    with InboxLoad(peer, hub, actors) as load:
        wait_until_sync(lambda: len(load.acknowledged) >= 30, timeout=60, message="inbox load under way")
        began = time.monotonic()
        made = hub.cli("backup", str(archive))
        ended = time.monotonic()
        wait_until_sync(lambda: any(at > ended for _, at in load.acknowledged), timeout=30, message="load after the backup")
    assert "1 groups, 1 media files" in made.stdout and load.other == []
    acknowledged_before = {activity for activity, at in load.acknowledged if at < began}
    during = [activity for activity, at in load.acknowledged if began <= at <= ended]
    assert len(acknowledged_before) >= 30 and during, "the hub kept acknowledging while the backup ran"
    assert hub.stop() == 0

    # Then, restored into an empty database and data directory, a second hub process on the same domain
    database = fresh_database_url(migrated=False)
    data_dir = tmp_path / "restored"
    if database.startswith("sqlite://"):
        database = f"sqlite://{data_dir / 'hub.sqlite3'}"
    second = Hub(port=hub.port, env={**hub.env, "HUB_DATABASE_URL": database, "HUB_DATA_DIR": str(data_dir)}, data_dir=data_dir)
    second.cli("restore", str(archive))
    second.start()
    try:
        # serves the same group actor with the same key,
        after = second.get("/groups/climate", headers={"Accept": AS_ACCEPT}).json()
        assert after["id"] == before["id"] and after["publicKey"]["publicKeyPem"] == before["publicKey"]["publicKeyPem"]
        # has every activity acknowledged before the backup began,
        stored = {row["activity_uri"] for row in second.query("SELECT activity_uri FROM inbox_items")}
        assert acknowledged_before <= stored, sorted(acknowledged_before - stored)[:5]
        # serves the same image and secret key, and reports itself healthy to a load balancer
        assert second.get(f"/media/{image}").content == image_bytes
        assert (data_dir / "secret.key").read_bytes() == (hub.data_dir / "secret.key").read_bytes()
        wait_until_sync(lambda: second.get("/healthz").status_code == 200, timeout=30, message="restored hub healthy")
    finally:
        second.stop()
