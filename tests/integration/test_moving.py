"""Moving a group between two real hubs, with Mastodon-like members whose servers act on Move as Mastodon does,
and a Lemmy-like member whose server does not; then members' own accounts moving, verified and refused."""

from __future__ import annotations

import httpx
import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]
AS_ACCEPT = "application/activity+json"


def received(peer, kind: str) -> list[dict]:
    """Valid deliveries of one activity type the peer recorded."""
    return [r for r in peer.control("received", type=kind) if r["valid"]]


def follow_state(peer, actor_id: str, target: str) -> list[str]:
    """States of the peer account's follows of ``target``."""
    return [f["state"] for f in peer.control("follows") if f["actor"] == actor_id and f["target"] == target]


def announced_by(peer, group_url: str, note_id: str) -> list[dict]:
    """Announces by ``group_url`` the peer received of the note ``note_id`` (the boost of it, or FEP-1b12's Create of it)."""
    return [entry["activity"] for entry in received(peer, "Announce")
            if entry["activity"].get("actor") == group_url and note_id in str(entry["activity"].get("object"))]


def test_a_group_moves_with_its_members_to_another_hub(hub_factory, peer_factory, tmp_path):
    """export, import, move: Mastodon-like members follow the new group by themselves, the Lemmy-like one is told and
    re-joins by the link; the old URLs redirect; a post to the new group reaches every member."""
    # Given a group on the old hub with two members on a Mastodon-like server (alice a moderator) and one on a Lemmy-like one
    old, new = hub_factory("old"), hub_factory("new")
    old.cli("group", "create", "climate", "--name", "Climate Action")
    old.start()
    new.start()
    mastodon, lemmy = peer_factory(), peer_factory("--software", "lemmy")
    alice = mastodon.control("actors", {"name": "alice"})
    bob = mastodon.control("actors", {"name": "bob"})
    carol = lemmy.control("actors", {"name": "carol"})
    old_url = old.group_url("climate")
    for peer, name in ((mastodon, "alice"), (mastodon, "bob"), (lemmy, "carol")):
        peer.control("follow", {"actor": name, "target": f"climate@{old.domain}"})
    wait_until_sync(lambda: len([m for m in old.members("climate").values() if m["state"] == "accepted"]) == 3 or None,
                    timeout=60, message="three members on the old hub")
    wait_until_sync(lambda: all(follow_state(p, a["id"], old_url) == ["accepted"]
                                for p, a in ((mastodon, alice), (mastodon, bob), (lemmy, carol))) or None,
                    timeout=60, message="the Accepts")
    old.cli("member", "role", "climate", f"@alice@{mastodon.domain}", "moderator")

    # When the group is exported and imported on the new hub, it lists the old actor in alsoKnownAs
    archive = tmp_path / "climate.tar.gz"
    old.cli("group", "export", "climate", str(archive))
    new.cli("group", "import", str(archive))
    new_url = new.group_url("climate")
    document = new.get(new_url, headers={"Accept": AS_ACCEPT}).json()
    assert document["alsoKnownAs"] == [old_url] and document["publicKey"]["publicKeyPem"] == \
        old.get(old_url, headers={"Accept": AS_ACCEPT}).json()["publicKey"]["publicKeyPem"]

    # And a move to a group that does not name the old one is refused, changing nothing
    new.cli("group", "create", "other", "--name", "Other")
    refused = old.cli("group", "move", "climate", new.group_url("other"), check=False)
    assert refused.returncode == 1 and "does not list" in refused.stderr and "alsoKnownAs" in refused.stderr
    assert old.query("SELECT moved_to FROM groups WHERE slug = 'climate'") == [{"moved_to": None}]

    # When the old hub moves the group to the imported one
    moved = old.cli("group", "move", "climate", new_url)
    assert "moved to" in moved.stdout

    # Then the Mastodon-like server moves alice's and bob's follows: it follows the new group and unfollows the old one
    for account in (alice, bob):
        wait_until_sync(lambda a=account: follow_state(mastodon, a["id"], new_url) == ["accepted"] or None, timeout=90,
                        message=f"{account['name']} follows the new group")
        assert follow_state(mastodon, account["id"], old_url) == ["undone"]
    assert [m["outcome"] for m in mastodon.control("moves")] == ["moved"]
    wait_until_sync(lambda: {old.members("climate")[a["id"]]["state"] for a in (alice, bob)} == {"left"} or None,
                    timeout=60, message="the old memberships ended by the Undo")
    members = new.members("climate")
    assert (members[alice["id"]]["state"], members[alice["id"]]["role"]) == ("accepted", "moderator")
    assert members[bob["id"]]["state"] == "accepted"
    # And the Lemmy-like server got a readable notice, carol a direct message with the link; Mastodon members no message
    wait_until_sync(lambda: len([n for n in (r["activity"]["object"] for r in received(lemmy, "Create"))
                                 if new_url in n.get("content", "")]) == 2 or None,
                    timeout=60, message="the notice and the DM on the Lemmy-like server")
    notices = [r["activity"]["object"] for r in received(lemmy, "Create") if new_url in r["activity"]["object"].get("content", "")]
    assert sorted(str(n["to"]) for n in notices) == sorted([str([carol["id"]]), "['https://www.w3.org/ns/activitystreams#Public']"])
    assert all(n["attributedTo"] == old_url for n in notices)
    assert [r for r in received(mastodon, "Create") if new_url in r["activity"]["object"].get("content", "")] == []
    assert lemmy.control("moves") == []  # a Lemmy-like server does not act on Move
    # When carol follows the link and joins again, she is a member there
    lemmy.control("follow", {"actor": "carol", "target": new_url})
    wait_until_sync(lambda: follow_state(lemmy, carol["id"], new_url) == ["accepted"] or None, timeout=60,
                    message="carol re-joined")

    # And the old group's URLs redirect: pages with 301, ActivityPub GETs with 308; its actor still says movedTo
    with httpx.Client(timeout=10, trust_env=False, follow_redirects=False) as client:
        page = client.get(old_url, headers={"Accept": "text/html"})
        assert (page.status_code, page.headers["location"]) == (301, new_url)
        outbox = client.get(f"{old_url}/outbox", headers={"Accept": AS_ACCEPT})
        assert (outbox.status_code, outbox.headers["location"]) == (308, f"{new_url}/outbox")
        actor = client.get(old_url, headers={"Accept": AS_ACCEPT})
        assert actor.status_code == 200 and actor.json()["movedTo"] == new_url

    # When bob posts to the new group, every member's server gets the new group's share of it
    note_id = mastodon.control("post", {"actor": "bob", "content": "First post in our new home", "mentions": [new_url]})["note_id"]
    shared = wait_until_sync(lambda: announced_by(mastodon, new_url, note_id) or None, timeout=60,
                             message="the share on the Mastodon-like server")
    assert len(shared) == 1  # one copy for alice and bob: their server's shared inbox
    wait_until_sync(lambda: announced_by(lemmy, new_url, note_id) or None, timeout=60,
                    message="the share on the Lemmy-like server")

    # When alice's account moves to alice2, which names her in alsoKnownAs, the new hub gives alice2 her place
    alice2 = mastodon.control("actors", {"name": "alice2"})
    mastodon.control("alias", {"actor": "alice2", "also_known_as": [alice["id"]]})
    mastodon.control("move", {"actor": "alice", "target": alice2["id"], "inboxes": [f"{new.base}/inbox"]})
    wait_until_sync(lambda: new.members("climate").get(alice2["id"]) or None, timeout=60, message="alice2's membership")
    members = new.members("climate")
    assert (members[alice2["id"]]["state"], members[alice2["id"]]["role"]) == ("accepted", "moderator")
    assert members[alice["id"]]["state"] == "left"
    # And bob's move to an account that does not name him is refused: nothing changes
    mastodon.control("actors", {"name": "bob2"})
    mastodon.control("move", {"actor": "bob", "target": f"{mastodon.base}/users/bob2", "inboxes": [f"{new.base}/inbox"]})
    wait_until_sync(lambda: new.query("SELECT state FROM inbox_items WHERE body LIKE %s AND state = 'ignored'",
                                      '%"Move"%bob2%') or None, timeout=60, message="the refused Move ignored")
    refusal = new.query("SELECT last_error FROM inbox_items WHERE body LIKE %s", '%"Move"%bob2%')
    assert "does not list" in refusal[0]["last_error"]
    members = new.members("climate")
    assert members[bob["id"]]["state"] == "accepted" and f"{mastodon.base}/users/bob2" not in members
