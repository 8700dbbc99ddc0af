"""Tests for hub.services.board: needs and offers from posts, matching by keyword overlap, marking met."""

from __future__ import annotations

import pytest

from hub.errors import InvalidInput
from hub.services import board, posts
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member


def test_keyword_lines_and_hashtags_make_items() -> None:
    """``need: …`` and ``offer: …`` lines (several languages) and #need/#offer posts are recognised."""
    assert board.parse_post("@climate need: drinking water, north district") == [("need", "drinking water, north district")]
    assert board.parse_post("Hello\nOffer: a van on Sunday\nNecesito: mantas") == [("offer", "a van on Sunday"), ("need", "mantas")]
    assert board.parse_post("We have spare blankets #offer", ["offer"]) == [("offer", "We have spare blankets")]
    assert board.parse_post("just chatting", ["climate"]) == []


def test_matching_by_shared_words() -> None:
    """Needs and offers sharing words are paired, best first; plurals and stop words are folded away."""
    assert board.keywords("Drinking water bottles for the north district") == ["drinking", "water", "bottle", "north", "district"]

    class Item:
        def __init__(self, id, author, text):
            self.id, self.author_id, self.text, self.keywords = id, author, text, board.keywords(text)

    needs = [Item(1, 10, "drinking water, north district"), Item(2, 11, "insulin fridge")]
    offers = [Item(3, 12, "bottles of drinking water for the north"), Item(4, 13, "a van"), Item(5, 11, "fridge space")]
    matches = board.match_pairs(needs, offers)
    assert [(m.need.id, m.offer.id) for m in matches] == [(1, 3)]  # 5 is by the same author as need 2
    assert matches[0].shared == ("drinking", "north", "water")


@pytest.fixture
async def group(db):
    """An open group with an owner."""
    return await create_group("aid", "Mutual Aid", owner=await account("owner"))


async def test_items_are_added_once_matched_and_met(group) -> None:
    """Items from a post are added once; suggestions pair them; marking met closes both and leaves the board."""
    alice, bob = await member(group, "alice"), await member(group, "bob")
    need = await board.add_item(group, alice, "need", "drinking water, north district", post_uri="https://s.example/1")
    assert (await board.add_item(group, alice, "need", "again", post_uri="https://s.example/1")).id == need.id
    offer = await board.add_item(group, bob, "offer", "50 litres of drinking water", post_uri="https://s.example/2")
    [match] = await board.suggest_matches(group)
    assert (match.need.id, match.offer.id) == (need.id, offer.id)
    await board.mark_met(need, matched_with=offer)
    await offer.refresh_from_db()
    assert offer.state == "met" and offer.matched_with_id == need.id
    assert await board.items(group) == []
    with pytest.raises(InvalidInput):
        await board.mark_met(need, matched_with=need)


async def test_items_of_deleted_posts_leave_the_board(group) -> None:
    """When the author deletes the post, its need leaves the board; items without a post stay."""
    alice = await member(group, "alice")
    await board.add_item(group, alice, "need", "blankets", post_uri="https://social.example/notes/5")
    await board.add_item(group, alice, "offer", "a van")
    await posts.delete(alice, "https://social.example/notes/5")
    assert [i.text for i in await board.items(group)] == ["a van"]
