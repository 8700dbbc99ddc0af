"""Partners beyond Causeway, end to end with real processes: a hub, a Lemmy-shaped and a Mobilizon-shaped server.

The hub's group follows a Lemmy community (posts arrive as the community's Announce of the author's Create)
and a Mobilizon group (posts and events arrive as plain Creates); each of them follows a hub group and gets
its posts; an invite to collaborate reaches the Lemmy community as a follow and its moderator as a private
message Lemmy shows; a Lemmy user refused by a closed group is told why in a private message.
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from hub.clock import now
from tests.peers.lemmy_like import launch_lemmy
from tests.peers.mobilizon_like import launch_mobilizon
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def group_follow_state(hub, slug: str, target: str) -> str | None:
    """The state of a local group's follow of ``target``."""
    rows = hub.query("SELECT f.state AS state FROM group_follows f JOIN groups g ON g.id = f.group_id "
                     "JOIN accounts a ON a.id = f.target_id WHERE g.slug = %s AND a.uri = %s", slug, target)
    return rows[0]["state"] if rows else None


def group_post(hub, slug: str, uri: str) -> dict | None:
    """The group's stored post with this uri (state, via)."""
    rows = hub.query("SELECT p.id AS id, p.state AS state, p.via_id AS via FROM posts p JOIN groups g ON g.id = p.group_id "
                     "WHERE g.slug = %s AND p.uri = %s", slug, uri)
    return rows[0] if rows else None


def mastodon_member(hub, mastodon, name: str, slug: str) -> str:
    """A Mastodon-like account that joined the group; its actor id."""
    mastodon.control("actors", {"name": name})
    mastodon.control("follow", {"actor": name, "target": f"{slug}@{hub.domain}"})
    actor = f"{mastodon.base}/users/{name}"
    wait_until_sync(lambda: hub.members(slug).get(actor, {}).get("state") == "accepted", timeout=30, message=f"{name} is a member")
    return actor


def test_lemmy_community_as_a_partner(hub_factory, peer_factory, tmp_path) -> None:
    """Follow a Lemmy community and be followed by it; invite it; refuse one of its users, who is told why."""
    # Given a hub with an open group and a closed one, a Mastodon-like member, and a Lemmy-shaped server
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.cli("group", "create", "circle", "--name", "Inner Circle", "--closed")
    hub.start()
    lemmy = launch_lemmy(log_dir=str(tmp_path))
    mastodon = peer_factory()
    try:
        community = lemmy.community("tenforward", moderators=["picard"])
        lemmy.person("riker")

        # When the hub's group follows the community (relaying its posts to members)
        hub.cli("group", "follow", "aid", f"tenforward@{lemmy.domain}", "--relay")
        wait_until_sync(lambda: group_follow_state(hub, "aid", community["id"]) == "accepted", timeout=30,
                        message="the community accepted aid's follow")
        # And picard posts to the community, which announces the Create to its followers (FEP-1b12)
        sent = lemmy.post("tenforward", "picard", "Rent strike assembly", "Thursday at the community centre")
        assert sent["statuses"] == [202]
        # Then the post is in the group, shown on its page, credited to the community
        post = wait_until_sync(lambda: group_post(hub, "aid", sent["page"]["id"]), timeout=30, message="Lemmy post relayed")
        assert post["state"] == "published" and post["via"] is not None
        assert "Thursday at the community centre" in hub.get("/groups/aid").text

        # When the community follows the hub's group, and a member posts to the group
        follow = lemmy.follow("tenforward", f"aid@{hub.domain}")
        assert follow["status"] == 202
        wait_until_sync(lambda: lemmy.follow_state(follow["follow_id"]) == "accepted", timeout=30, message="aid accepted")
        assert hub.members("aid")[community["id"]]["state"] == "accepted"
        mastodon_member(hub, mastodon, "ana", "aid")
        note = mastodon.control("post", {"actor": "ana", "content": f"Soup kitchen tonight @aid@{hub.domain}",
                                         "mentions": [f"aid@{hub.domain}"]})
        # Then the community gets the group's Announce of the Create, as Lemmy reads group posts
        announce = wait_until_sync(lambda: [a for a in lemmy.received("Announce") if a["actor"] == hub.group_url("aid")
                                            and isinstance(a["object"], dict) and a["object"].get("type") == "Create"
                                            and a["object"]["object"]["id"] == note["note_id"]],
                                   timeout=30, message="the group's post at the Lemmy community")
        assert announce[0]["object"]["actor"] == f"{mastodon.base}/users/ana"

        # When the group invites the community to a collaboration
        hub.cli("invite", "send", "aid", f"tenforward@{lemmy.domain}", "--collaboration", "Housing",
                "--message", "Join our housing coalition.")
        # Then the community gets a Follow from the collaboration's space, and no Invite
        space = f"{hub.base}/groups/aid_housing"
        wait_until_sync(lambda: [a for a in lemmy.received("Follow") if a["actor"] == space and a["object"] == community["id"]],
                        timeout=30, message="the space follows the community")
        wait_until_sync(lambda: group_follow_state(hub, "aid_housing", community["id"]) == "accepted", timeout=30,
                        message="the community accepted the space's follow")
        # And that Accept answers the invite: accepted, the community a partner of the space
        [invite] = wait_until_sync(lambda: [i for i in hub.cli_json("invite", "list", "aid") if i["state"] == "accepted"],
                                   timeout=30, message="the invite answered by the follow's Accept")
        assert invite["sent_as"] == "follow" and invite["counterpart"] == community["id"]
        assert hub.members("aid_housing")[community["id"]]["role"] == "partner"
        # And its moderator reads a private message Lemmy shows (from a Service actor, to him alone)
        messages = wait_until_sync(lambda: lemmy.private_messages("picard"), timeout=30, message="picard's private message")
        text = html.unescape(messages[0])
        assert "invites Tenforward to collaborate in Housing" in text and "#aidhousing" in text
        assert "Join our housing coalition." in text
        assert lemmy.received("Invite") == []

        # When a Lemmy user asks to join the closed group
        riker = lemmy.follow("riker", f"circle@{hub.domain}")
        # Then the Reject ends the follow (Lemmy tells nobody) and a private message says why
        wait_until_sync(lambda: lemmy.follow_state(riker["follow_id"]) == "rejected", timeout=30, message="Reject of the follow")
        refusal = html.unescape(wait_until_sync(lambda: lemmy.private_messages("riker"), timeout=30, message="riker is told")[0])
        assert "You cannot join Inner Circle" in refusal and "Lemmy shows every post it receives to everyone" in refusal
        assert lemmy.private_messages("picard") == messages  # nobody else was written to
    finally:
        lemmy.stop()


def test_mobilizon_group_as_a_partner(hub_factory, peer_factory, tmp_path) -> None:
    """Follow a Mobilizon group (its post and event in plain Creates, a relayed event in its Announce) and be followed by it."""
    hub = hub_factory("hub")
    hub.cli("group", "create", "aid", "--name", "Mutual Aid")
    hub.start()
    mobilizon = launch_mobilizon(log_dir=str(tmp_path))
    try:
        group = mobilizon.group("ateliers")
        # When the hub's group follows the Mobilizon group
        hub.cli("group", "follow", "aid", f"ateliers@{mobilizon.domain}", "--relay")
        wait_until_sync(lambda: group_follow_state(hub, "aid", group["id"]) == "accepted", timeout=30,
                        message="the Mobilizon group accepted")
        # And it publishes a post and an event, each in a plain Create (no Announce)
        post = mobilizon.publish_post("ateliers", "camille", title="Repair café", body="Bring your broken toasters")
        day = (now() + timedelta(days=5)).date().isoformat()
        event = mobilizon.publish_event("ateliers", "camille", name="Repair café evening", start=f"{day}T18:00:00+00:00",
                                        end=f"{day}T21:00:00+00:00")
        relayed = mobilizon.publish_event("ateliers", "dominique", name="Bike repair workshop", start=f"{day}T10:00:00+00:00",
                                          end=f"{day}T12:00:00+00:00", announced=True)
        assert post["statuses"] == [202] and event["statuses"] == [202] and relayed["statuses"] == [202]
        # Then both are in the group: the post relayed, the event listed with its origin
        stored = wait_until_sync(lambda: group_post(hub, "aid", post["post"]["id"]), timeout=30, message="the post")
        assert stored["state"] == "published"
        page = wait_until_sync(lambda: (lambda text: text if "Repair café evening" in text else None)(hub.get("/groups/aid").text),
                               timeout=30, message="the event on the group's page")
        assert "Bring your broken toasters" in page and "From Ateliers" in page
        # And the event a member on another server created, which the group relays in an Announce
        wait_until_sync(lambda: "Bike repair workshop" in hub.get("/groups/aid").text, timeout=30, message="the announced event")

        # When the Mobilizon group follows the hub's group and a member posts to the group
        follow = mobilizon.control("follow", {"actor": "ateliers", "target": f"aid@{hub.domain}"})
        wait_until_sync(lambda: hub.members("aid").get(group["id"], {}).get("state") == "accepted", timeout=30,
                        message="the Mobilizon group is a member")
        assert follow["status"] == 202
        mastodon = peer_factory()
        mastodon_member(hub, mastodon, "ana", "aid")
        note = mastodon.control("post", {"actor": "ana", "content": f"Tool library opens @aid@{hub.domain}",
                                         "mentions": [f"aid@{hub.domain}"]})
        # Then the Mobilizon group receives the group's Announce of it (its members see it there)
        wait_until_sync(lambda: [a for a in mobilizon.received("Announce") if a["actor"] == hub.group_url("aid")
                                 and note["note_id"] in str(a["object"])], timeout=30, message="the Announce at Mobilizon")
    finally:
        mobilizon.stop()
