"""What moderation removes stays gone (issue 21 item 6): the public board, the campaign page and the call page.

Each test drives the real app in-process (tests/federation/harness.py): a member posts from a
Mastodon-shaped server, then a moderator removes, bans, or the author edits, and the public pages
are read as an anonymous visitor would. On the main branch before this change each of them failed:
needs and offers of removed posts and banned authors stayed on the board, text edited out of a post
stayed on the campaign page and the board, organisers could not remove an entry, and the call page
listed the voters.
"""

from __future__ import annotations

import pytest

from federation.remote import account_for
from hub.clock import now
from hub.models import Account, BoardItem, CallToAction, Post
from hub.services import board, calls, campaigns, moderation
from tests.federation.harness import PUBLIC, running_hub

pytestmark = pytest.mark.db

PHONE = "0612-345-678"


def create(actor, note_id: str, content: str, group_id: str, *, tags: list[dict] = ()) -> dict:
    """A Mastodon-shaped public Create mentioning the group."""
    note = {"id": note_id, "type": "Note", "attributedTo": actor.id, "to": [PUBLIC], "cc": [group_id],
            "published": "2026-12-04T10:00:00Z", "content": content,
            "tag": [{"type": "Mention", "href": group_id, "name": "@aid@hub.test"}, *tags]}
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note_id}/activity", "type": "Create",
            "actor": actor.id, "to": [PUBLIC], "cc": [group_id], "object": note}


def update(create_activity: dict, content: str, n: int = 1) -> dict:
    """The author's ``n``-th Update of the same note with new content."""
    note = {**create_activity["object"], "content": content, "updated": f"2026-12-04T11:0{n}:00Z"}
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}#updates/{n}", "type": "Update",
            "actor": create_activity["actor"], "to": [PUBLIC], "object": note}


async def _post(hub, actor, activity: dict) -> None:
    assert (await hub.signed_post("/inbox", activity, actor)).status_code == 202
    await hub.drain()


async def test_removed_post_and_banned_author_leave_the_public_board(database_url, tmp_path) -> None:
    """A need whose post moderators removed, and an offer whose author was banned, are no longer on the board."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given two members who put a need and an offer on the board
        group = await hub.group("aid")
        alice, bob = hub.world.person("alice"), hub.world.person("bob")
        await hub.member(alice, "aid")
        await hub.member(bob, "aid")
        await _post(hub, alice, create(alice, f"{alice.id}/statuses/1", "<p>need: a lift to the clinic</p>", hub.group_id("aid")))
        await _post(hub, bob, create(bob, f"{bob.id}/statuses/2", "<p>offer: my spare flat keys</p>", hub.group_id("aid")))
        page = (await hub.get("/groups/aid/board")).text
        assert "a lift to the clinic" in page and "my spare flat keys" in page
        # When a moderator removes alice's post and bans bob
        await moderation.remove_post(await Post.get(uri=f"{alice.id}/statuses/1"), reason="spam")
        await moderation.ban(group, await Account.get(uri=bob.id), reason="abuse")
        # Then neither is on the public board any longer
        page = (await hub.get("/groups/aid/board")).text
        assert "a lift to the clinic" not in page
        assert "my spare flat keys" not in page
        assert await board.items(group, kind="need") == [] and await board.items(group, kind="offer") == []


async def test_text_edited_out_leaves_campaign_page_and_board(database_url, tmp_path) -> None:
    """A phone number the author removed by Update no longer shows on the campaign page, its feed or the board."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a campaign and a member's need carrying its hashtag and a phone number
        group = await hub.group("aid")
        await campaigns.create_campaign(group, "flood", "Flood relief", hashtags=["flood2026"])
        alice = hub.world.person("alice")
        await hub.member(alice, "aid")
        tag = [{"type": "Hashtag", "href": "https://remote.test/tags/flood2026", "name": "#flood2026"}]
        created = create(alice, f"{alice.id}/statuses/9", f"<p>need: insulin, call me on {PHONE} #flood2026</p>",
                         hub.group_id("aid"), tags=tag)
        await _post(hub, alice, created)
        assert PHONE in (await hub.get("/groups/aid/campaigns/flood")).text
        assert PHONE in (await hub.get("/groups/aid/board")).text
        # When she edits the number out
        await _post(hub, alice, update(created, "<p>need: insulin #flood2026</p>"))
        # Then no public page shows it any more, and the need says what the post now says
        for path in ("/groups/aid/campaigns/flood", "/groups/aid/board", "/groups/aid/campaigns/flood/feed.atom"):
            assert PHONE not in (await hub.get(path)).text, path
        [need] = await board.items(group, kind="need")
        assert need.text.startswith("insulin") and PHONE not in need.text
        # When she edits the need out altogether, it leaves the board
        await _post(hub, alice, update(created, "<p>All sorted, thank you! #flood2026</p>", 2))
        assert await board.items(group, kind="need") == []
        assert "insulin" not in (await hub.get("/groups/aid/board")).text


async def test_campaign_page_drops_banned_authors_and_deleted_relay_posts(database_url, tmp_path) -> None:
    """A banned member's gathered post and a relayed post its author deleted leave the campaign page and its feed."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        await campaigns.create_campaign(group, "flood", "Flood relief", hashtags=["flood2026"])
        bob, stranger = hub.world.person("bob"), hub.world.person("sam", "other.test")
        await hub.member(bob, "aid")
        tag = [{"type": "Hashtag", "href": "https://remote.test/tags/flood2026", "name": "#flood2026"}]
        await _post(hub, bob, create(bob, f"{bob.id}/statuses/5", "<p>Sandbags at the bridge #flood2026</p>",
                                     hub.group_id("aid"), tags=tag))
        [entry] = await campaigns.gather_relay_post(
            await account_for(hub.fed, stranger.id), uri=f"{stranger.id}/statuses/6", url=None,
            content_html=f"<p>Boats here, call {PHONE} #flood2026</p>", published_at=now(), hashtags=["flood2026"])
        await campaigns.moderate_gathered(entry, "approve")
        page = (await hub.get("/groups/aid/campaigns/flood")).text
        assert "Sandbags at the bridge" in page and PHONE in page
        # When bob is banned and the stranger deletes their post
        await moderation.ban(group, await Account.get(uri=bob.id), reason="abuse")
        delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{stranger.id}/statuses/6#delete",
                  "type": "Delete", "actor": stranger.id, "object": {"id": f"{stranger.id}/statuses/6", "type": "Tombstone"}}
        await _post(hub, stranger, delete)
        # Then neither shows on the campaign page or in its feed
        for path in ("/groups/aid/campaigns/flood", "/groups/aid/campaigns/flood/feed.atom"):
            text = (await hub.get(path)).text
            assert "Sandbags at the bridge" not in text and PHONE not in text, path
        assert (await campaigns.impact(await campaigns.get_campaign(group, "flood"))).posts_gathered == 0


async def test_organisers_remove_a_board_entry_directly(database_url, tmp_path) -> None:
    """An organiser takes a need off the board without touching the post; it stays gone (logged)."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        alice = hub.world.person("alice")
        await hub.member(alice, "aid")
        await _post(hub, alice, create(alice, f"{alice.id}/statuses/3", f"<p>need: a sofa, ring {PHONE}</p>", hub.group_id("aid")))
        [item] = await BoardItem.filter(group=group)
        await board.remove_item(item, reason="personal data")
        assert PHONE not in (await hub.get("/groups/aid/board")).text
        assert await board.items(group, state=None) == []
        assert (await Post.get(uri=f"{alice.id}/statuses/3")).state == "published"
        log = await moderation.group_log(group)
        assert any(entry.action == "board_item_removed" for entry in log)


async def test_call_page_shows_counts_not_voters(database_url, tmp_path) -> None:
    """The public call page says how many signed up, never who (poll votes are private)."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid")
        alice = hub.world.person("alice", name="Alice Voter")
        carol = hub.world.person("carol", "other.test", name="Carol Stranger")
        await hub.member(alice, "aid")
        call = await calls.create_call(group, what="Fill sandbags", needed=3)
        await calls.sign_up(call, await account_for(hub.fed, alice.id), via="vote")
        await calls.sign_up(await CallToAction.get(id=call.id), await account_for(hub.fed, carol.id), via="reply")
        page = (await hub.get(f"/groups/aid/calls/{call.id}")).text
        assert "1 of 3 signed up" in page
        assert "1 member signed up" in page and "not a member also answered" in page
        for private in ("Alice Voter", "alice@remote.test", "Carol Stranger", "carol@other.test"):
            assert private not in page, private
