"""Organisers end to end with real processes: a hub and Mastodon-like peers (one posing as Lemmy).

Organisers use the hub's CLI (the console calls the same services; tests/web covers its pages);
what members see is what their servers received and, for the Mastodon-like peer, what its
timeline shows after applying the activities as Mastodon does.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db, pytest.mark.postgres]

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded, with who signed them."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def direct_messages(peer, actor_id: str, text: str) -> list[dict]:
    """Direct messages (Create of a Note addressed only to ``actor_id``) containing ``text``."""
    return [r["activity"]["object"] for r in received(peer, "Create")
            if r["activity"]["object"].get("to") == [actor_id] and text in r["activity"]["object"].get("content", "")]


def settled(hub) -> bool:
    """Nothing left to do: every event handled and every delivery sent."""
    events = hub.query("SELECT COUNT(*) AS n FROM events WHERE state NOT IN ('done', 'dead')")[0]["n"]
    return events == 0 and hub.queued_deliveries() == 0


def test_announcement_published_edited_deleted_in_both_forms(hub_factory, peer_factory, tmp_path):
    """The group's announcement reaches Mastodon as the group's Note (edit and delete applied) and Lemmy as Announces."""
    # Given an open group with a member on a Mastodon-like server and one on a server posing as Lemmy
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.start()
    mastodon, lemmy = peer_factory(), peer_factory("--software", "lemmy")
    mastodon.control("actors", {"name": "alice"})
    lemmy.control("actors", {"name": "lena"})
    mastodon.control("follow", {"actor": "alice", "target": f"aid@{hub.domain}"})
    lemmy.control("follow", {"actor": "lena", "target": f"aid@{hub.domain}"})
    wait_until_sync(lambda: received(mastodon, "Accept") and received(lemmy, "Accept"), timeout=20, message="both accepted")
    group = hub.group_url("aid")

    # When organisers post as the group, with a content warning and an image described by its alt text
    picture = tmp_path / "map.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    hub.cli("announcement", "post", "aid", "General assembly on Friday at 18:00, town hall.", "--summary", "Meeting",
            "--image", str(picture), "--alt", "Map from the station to the town hall")

    # Then Mastodon's users see the group's own Note, signed by the group, with the warning and the alt text
    [shown] = wait_until_sync(lambda: mastodon.control("timeline"), timeout=20, message="the announcement on Mastodon")
    assert shown["actor"] == group and shown["type"] == "Note"
    assert "General assembly on Friday" in shown["content"] and shown["summary"] == "Meeting" and shown["sensitive"]
    assert AS_PUBLIC in shown["cc"] and shown["to"] == [f"{group}/followers"]
    [image] = shown["attachment"]
    assert image["name"] == "Map from the station to the town hall" and image["mediaType"] == "image/png"
    create = [r for r in received(mastodon, "Create") if r["activity"]["object"]["id"] == shown["id"]][0]
    assert create["signer"] == group and create["activity"]["actor"] == group
    assert hub.get(image["url"]).status_code == 200
    # And the group-aware server gets the group's Announce wrapping that Create (FEP-1b12), not a bare Create
    [wrapped] = wait_until_sync(lambda: received(lemmy, "Announce"), timeout=20, message="Announce(Create) for Lemmy")
    assert wrapped["activity"]["object"]["type"] == "Create" and wrapped["activity"]["object"]["object"]["id"] == shown["id"]
    assert not [r for r in received(lemmy, "Create") if r["activity"]["object"]["id"] == shown["id"]]
    # And the Note is served at its id, and the group page shows it
    served = hub.get(shown["id"], headers={"Accept": "application/activity+json"})
    assert served.status_code == 200 and served.json()["content"] == shown["content"]
    assert "General assembly on Friday" in hub.get("/groups/aid").text

    # When organisers pin it, the featured collection lists it and members' servers get the Add
    [row] = hub.cli_json("announcement", "list", "aid")
    hub.cli("announcement", "pin", str(row["id"]))
    wait_until_sync(lambda: received(mastodon, "Add"), timeout=20, message="Add to featured")
    featured = hub.get(f"{group}/featured", headers={"Accept": "application/activity+json"}).json()
    assert featured["orderedItems"][0] == shown["id"]

    # When they edit it, Mastodon applies the Update and Lemmy gets the Announce of the Update
    hub.cli("announcement", "edit", str(row["id"]), "General assembly moved to Saturday at 11:00.", "--summary", "Meeting")
    wait_until_sync(lambda: "moved to Saturday" in (mastodon.control("timeline") or [{}])[0].get("content", ""),
                    timeout=20, message="the edit applied on Mastodon")
    assert mastodon.control("timeline")[0]["edited"]
    wait_until_sync(lambda: [r for r in received(lemmy, "Announce") if r["activity"]["object"]["type"] == "Update"],
                    timeout=20, message="Announce(Update) for Lemmy")

    # When they delete it, Mastodon removes it, Lemmy gets the Announce of the Delete, the id answers 410
    hub.cli("announcement", "delete", str(row["id"]))
    wait_until_sync(lambda: mastodon.control("timeline") == [], timeout=20, message="the delete applied on Mastodon")
    wait_until_sync(lambda: [r for r in received(lemmy, "Announce") if r["activity"]["object"]["type"] == "Delete"],
                    timeout=20, message="Announce(Delete) for Lemmy")
    assert hub.get(shown["id"], headers={"Accept": "application/activity+json"}).status_code == 410
    assert "moved to Saturday" not in hub.get("/groups/aid").text
    assert hub.get(f"{group}/featured", headers={"Accept": "application/activity+json"}).json()["orderedItems"] == []


def test_refusal_explained_once_a_day_and_organisers_told_of_join_requests(hub_factory, peer_factory):
    """A stranger's three refused posts bring one direct message saying why; a join request reaches the organiser."""
    # Given a closed group whose owner is bob on a Mastodon-like server
    hub = hub_factory("hub")
    hub.cli("group", "create", "housing", "--name", "Housing Action", "--closed")
    hub.start()
    peer = peer_factory()
    bob = peer.control("actors", {"name": "bob"})
    carol = peer.control("actors", {"name": "carol"})
    peer.control("actors", {"name": "dan"})
    group = hub.group_url("housing")
    peer.control("follow", {"actor": "bob", "target": f"housing@{hub.domain}"})
    wait_until_sync(lambda: hub.members("housing").get(bob["id"], {}).get("state") == "pending", timeout=20, message="bob asks")
    hub.cli("member", "approve", "housing", f"bob@{peer.domain}")
    hub.cli("member", "role", "housing", f"bob@{peer.domain}", "owner")

    # When carol, who is not a member, posts to the group three times
    for n in range(3):
        peer.control("post", {"actor": "carol", "content": f"Rent strike now! ({n})", "mentions": [group]})
    wait_until_sync(lambda: len([r for r in received(peer, "Reject") if r["activity"]["to"] == [carol["id"]]]) == 3,
                    timeout=30, message="three Rejects")
    wait_until_sync(lambda: settled(hub), timeout=20, message="the hub has sent everything")
    # Then she got exactly one direct message from the group saying why and what to do
    explained = direct_messages(peer, carol["id"], "was not shared by Housing Action")
    assert len(explained) == 1
    assert explained[0]["attributedTo"] == group and "Follow the group to join" in explained[0]["content"]
    assert group in explained[0]["content"]

    # When dan asks to join, the owner bob gets a direct message from the group with a link to the console
    peer.control("follow", {"actor": "dan", "target": f"housing@{hub.domain}"})
    told = wait_until_sync(lambda: direct_messages(peer, bob["id"], "asks to join"), timeout=20, message="bob is told")
    assert f"dan@{peer.domain}" in told[0]["content"] and f"{hub.base}/console/groups/housing/members" in told[0]["content"]
    assert hub.cli_json("organiser", "waiting", "housing")["join_requests"] == 1
