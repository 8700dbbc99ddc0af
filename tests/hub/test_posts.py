"""Tests for hub.services.posts: who may post, holding, edits, deletions and tombstones."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hub.errors import Conflict, NotFound, PermissionDenied
from hub.models import Account, Event, Group, Membership, Post, Tombstone
from hub.services import accounts, events, members, posts
from hub.services.groups import create_group
from hub.services.posts import PostDraft

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("reuse_rsa_key_pair")]

PUBLISHED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def draft(uri: str, content: str = "<p>Hello</p>", **kwargs) -> PostDraft:
    """A Note draft with the given id."""
    values = {
        "uri": uri,
        "activity_uri": f"{uri}/activity",
        "object_type": "Note",
        "content_html": content,
        "visibility": "public",
        "published_at": PUBLISHED,
        "activity_json": json.dumps({"type": "Create", "object": {"id": uri}}),
    } | kwargs
    return PostDraft(**values)


async def member(group: Group, name: str, role: str = "member") -> Account:
    """An accepted member of the group with the given role."""
    who = await accounts.remote_account(f"https://social.example/users/{name}", handle=f"{name}@social.example")
    await members.request_join(group, who, follow_uri=None, pre_approved=True)
    if role != "member":
        await Membership.filter(group=group, account=who).update(role=role)
    return who


@pytest.fixture
async def group(db) -> Group:
    """An open, public group whose members may post."""
    return await create_group("climate", "Climate")


async def post_events(group: Group) -> list[tuple[str, int]]:
    """(kind, post_id) of the group's post.* events, oldest first."""
    rows = await Event.filter(group=group, kind__startswith="post.").order_by("id")
    return [(e.kind, e.payload["post_id"]) for e in rows]


async def test_member_post_is_published(group: Group) -> None:
    """A member's post is stored as published and records post.published."""
    ann = await member(group, "ann")
    result = await posts.submit(group, ann, draft("https://social.example/notes/1"))
    assert result.created
    stored = await Post.get(uri="https://social.example/notes/1")
    assert (stored.state, stored.author_id, stored.thread_uri, stored.visibility) == (
        "published", ann.id, "https://social.example/notes/1", "public"
    )
    assert await post_events(group) == [("post.published", stored.id)]


async def test_same_post_twice_is_stored_once(group: Group) -> None:
    """Submitting the same object id again returns the stored row: one row, one event."""
    ann = await member(group, "ann")
    first = await posts.submit(group, ann, draft("https://social.example/notes/1"))
    second = await posts.submit(group, ann, draft("https://social.example/notes/1", "<p>again</p>"))
    assert (first.created, second.created) == (True, False)
    assert second.post.id == first.post.id
    assert await Post.filter(uri="https://social.example/notes/1").count() == 1
    assert len(await post_events(group)) == 1


async def test_non_member_post_is_refused(group: Group) -> None:
    """Someone who is not an accepted member (stranger, pending, banned) cannot post."""
    stranger = await accounts.remote_account("https://social.example/users/stranger")
    with pytest.raises(PermissionDenied, match="only members of climate can post"):
        await posts.submit(group, stranger, draft("https://social.example/notes/1"))
    banned = await member(group, "banned")
    await members.remove(group, banned, ban=True)
    with pytest.raises(PermissionDenied):
        await posts.submit(group, banned, draft("https://social.example/notes/2"))
    assert await Post.all().count() == 0


async def test_moderators_only_group(group: Group) -> None:
    """In a moderators-only group members are refused and moderators may post."""
    group.posting_mode = "moderators"
    await group.save()
    ann, mod = await member(group, "ann"), await member(group, "mod", role="moderator")
    with pytest.raises(PermissionDenied, match="only moderators"):
        await posts.submit(group, ann, draft("https://social.example/notes/1"))
    assert (await posts.submit(group, mod, draft("https://social.example/notes/2"))).post.state == "published"


async def test_held_first_holds_only_the_first_post(group: Group) -> None:
    """held_first: a member's first post is held; once a moderator publishes it, later posts publish at once."""
    group.posting_mode = "held_first"
    await group.save()
    ann, owner = await member(group, "ann"), await member(group, "owner", role="owner")
    first = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    assert first.state == "held"
    # Until a moderator publishes one of them, the newcomer's posts keep waiting.
    assert (await posts.submit(group, ann, draft("https://social.example/notes/2"))).post.state == "held"
    await posts.moderate(first, "published", by=owner)
    third = (await posts.submit(group, ann, draft("https://social.example/notes/3"))).post
    assert third.state == "published"
    assert (await posts.submit(group, owner, draft("https://social.example/notes/4"))).post.state == "published"
    kinds = [kind for kind, _ in await post_events(group)]
    assert kinds == ["post.held", "post.held", "post.published", "post.published", "post.published"]


async def test_moderate_needs_a_moderator(group: Group) -> None:
    """A plain member cannot publish or remove posts; an invalid transition is a Conflict."""
    ann, bob = await member(group, "ann"), await member(group, "bob")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    with pytest.raises(PermissionDenied):
        await posts.moderate(post, "removed", by=bob)
    with pytest.raises(Conflict, match="post cannot go from published to held"):
        await posts.moderate(post, "held", by=None)
    await posts.moderate(post, "removed", by=None, reason="spam")
    assert (await Post.get(id=post.id)).state == "removed"


async def test_private_group_posts_are_members_only(db) -> None:
    """A public post to a private group is stored with members visibility."""
    group = await create_group("secret", "Secret", private=True)
    ann = await member(group, "ann")
    assert (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post.visibility == "members"


async def test_replies_join_the_thread_of_their_parent(group: Group) -> None:
    """A reply's thread is its parent's thread; a reply to an unknown post starts from that id."""
    ann = await member(group, "ann")
    await posts.submit(group, ann, draft("https://social.example/notes/1"))
    await posts.submit(group, ann, draft("https://social.example/notes/2", in_reply_to="https://social.example/notes/1"))
    reply = (await posts.submit(group, ann, draft("https://social.example/notes/3", in_reply_to="https://social.example/notes/2"))).post
    orphan = (await posts.submit(group, ann, draft("https://social.example/notes/4", in_reply_to="https://x.example/n/9"))).post
    assert reply.thread_uri == "https://social.example/notes/1"
    assert orphan.thread_uri == "https://x.example/n/9"


async def test_edit_by_author_updates_and_records_event(group: Group) -> None:
    """The author's edit replaces the content and records post.updated."""
    ann = await member(group, "ann")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    await posts.edit(ann, draft("https://social.example/notes/1", "<p>Edited</p>", title="T"))
    stored = await Post.get(id=post.id)
    assert (stored.content_html, stored.title) == ("<p>Edited</p>", "T")
    assert stored.edited_at is not None
    assert await post_events(group) == [("post.published", post.id), ("post.updated", post.id)]


async def test_edit_by_non_author_is_refused(group: Group) -> None:
    """Someone else's Update of a post is PermissionDenied and changes nothing; an unknown post is NotFound."""
    ann, mallory = await member(group, "ann"), await member(group, "mallory")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    with pytest.raises(PermissionDenied, match="only the author may edit"):
        await posts.edit(mallory, draft("https://social.example/notes/1", "<p>pwned</p>"))
    assert (await Post.get(id=post.id)).content_html == "<p>Hello</p>"
    with pytest.raises(NotFound):
        await posts.edit(ann, draft("https://social.example/notes/404"))


async def test_delete_by_author_tombstones_and_clears(group: Group) -> None:
    """The author's Delete empties the post, marks it deleted, tombstones its id and records post.deleted."""
    ann = await member(group, "ann")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1", summary="cw"))).post
    await posts.delete(ann, post.uri)
    stored = await Post.get(id=post.id)
    assert (stored.state, stored.content_html, stored.summary) == ("deleted", "", None)
    assert await Tombstone.filter(uri=post.uri, actor_uri=ann.uri).exists()
    assert await post_events(group) == [("post.published", post.id), ("post.deleted", post.id)]
    with pytest.raises(Conflict, match="deleted"):
        await posts.edit(ann, draft(post.uri, "<p>back</p>"))
    assert [p.state for p in await posts.delete(ann, post.uri)] == ["deleted"]
    assert len(await post_events(group)) == 2


async def test_delete_by_non_author_is_refused(group: Group) -> None:
    """Someone else's Delete is PermissionDenied: no tombstone, the post stays published."""
    ann, mallory = await member(group, "ann"), await member(group, "mallory")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    with pytest.raises(PermissionDenied, match="only the author may delete"):
        await posts.delete(mallory, post.uri)
    assert (await Post.get(id=post.id)).state == "published"
    assert not await Tombstone.exists()


async def test_delete_before_create_leaves_tombstone_and_refuses_later_create(group: Group) -> None:
    """A Delete arriving before its Create leaves a tombstone; the late Create is a Conflict and stores nothing."""
    ann = await member(group, "ann")
    assert await posts.delete(ann, "https://social.example/notes/1") == []
    assert await posts.is_tombstoned("https://social.example/notes/1")
    with pytest.raises(Conflict, match="deleted before it arrived"):
        await posts.submit(group, ann, draft("https://social.example/notes/1"))
    assert await Post.all().count() == 0
    assert await post_events(group) == []


async def test_post_and_event_are_one_transaction(group: Group, monkeypatch: pytest.MonkeyPatch) -> None:
    """If recording post.published fails, the post is not stored either."""
    ann = await member(group, "ann")

    async def failing_record(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(events, "record", failing_record)
    with pytest.raises(RuntimeError):
        await posts.submit(group, ann, draft("https://social.example/notes/1"))
    assert await Post.all().count() == 0


async def test_recent_posts_pages_published_public_posts(group: Group) -> None:
    """recent_posts lists published public posts newest first and pages by id."""
    ann = await member(group, "ann")
    ids = [(await posts.submit(group, ann, draft(f"https://social.example/notes/{n}"))).post.id for n in range(5)]
    await posts.submit(group, ann, draft("https://social.example/notes/dm", visibility="direct"))
    first_page = await posts.recent_posts(group, limit=3)
    assert [p.id for p in first_page] == ids[::-1][:3]
    assert [p.id for p in await posts.recent_posts(group, limit=3, before_id=first_page[-1].id)] == ids[1::-1]
