"""Actor and collection documents the hub serves."""

from __future__ import annotations

from federation import actors


def test_collections_link_their_first_page_only_when_asked_and_pages_their_next():
    """An OrderedCollection head carries its size; a page links the collection and the next page when there is one."""
    head = actors.ordered_collection("https://hub.test/groups/c/outbox", 3, first="https://hub.test/groups/c/outbox?page=true")
    assert (head["type"], head["totalItems"], head["first"]) == ("OrderedCollection", 3, "https://hub.test/groups/c/outbox?page=true")
    assert "first" not in actors.ordered_collection("https://hub.test/groups/c/followers", 0)
    page = actors.collection_page("https://hub.test/c", "https://hub.test/c?page=2", ["a"], next_page=None)
    assert (page["partOf"], page["orderedItems"]) == ("https://hub.test/c", ["a"]) and "next" not in page
