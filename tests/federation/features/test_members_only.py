"""The members_only feature: it takes a post event first only for members-only posts, and refuses leaky follows."""

from __future__ import annotations

import json

import pytest

from federation.features import members_only
from federation.handling import First
from hub.clock import now
from hub.models import Delivery, Event, Membership, Post
from hub.services import groups
from tests.federation.conftest import remote_account

pytestmark = pytest.mark.db


async def _post(group, author, visibility: str) -> Post:
    uri = f"{author.uri}/notes/{visibility}"
    return await Post.create(group=group, author=author, uri=uri, object_type="Note", thread_uri=uri, visibility=visibility,
                             state="published", published_at=now(), activity_json="{}", content_html="<p>hi</p>")


async def test_members_only_posts_are_taken_first_others_declined(fed):
    """A public post's event is declined (False, the posts feature sends it); a members-only one becomes the group's Note."""
    group = await groups.create_group("circle", "Circle")
    ann = await remote_account("ann")
    await Membership.create(group=group, account=ann, state="accepted")
    public, members = await _post(group, ann, "public"), await _post(group, ann, "members")
    event = await Event.create(kind="post.published", group=group, payload={"post_id": public.id}, next_try_at=now())
    assert await members_only.on_published(fed, event, group) is False
    assert await members_only.on_published(fed, event, None) is False
    await Event.filter(id=event.id).update(payload={"post_id": members.id})
    assert await members_only.on_published(fed, await Event.get(id=event.id), group) is True
    [delivery] = await Delivery.all()
    create = json.loads(delivery.body)
    assert create["object"]["id"] == members_only.note_id(fed.urls, group, members)
    assert create["to"] == [fed.urls.group_followers("circle")]
    assert all(isinstance(entry, First) for entry in members_only.FEATURE.outbound.values())


async def test_a_closed_group_refuses_a_follow_from_leaky_software(fed):
    """The follow hook rejects an account on software listed as leaky when the group is closed; open groups let it in."""
    closed = await groups.create_group("closed", "Closed", closed=True)
    opened = await groups.create_group("open", "Open")
    lemmy = await remote_account("mod", host="lemmy.test", software="lemmy")
    assert "lemmy" in fed.settings.refuse_leaky_software  # the default list
    refused = await members_only.refuse_leaky_follow(fed, closed, lemmy, follow_uri=f"{lemmy.uri}#f")
    assert refused is not None and "lemmy shows followers-only posts to everyone" in refused.reason
    assert (await Membership.get(group=closed, account=lemmy)).state == "rejected"
    assert await members_only.refuse_leaky_follow(fed, opened, lemmy, follow_uri=f"{lemmy.uri}#g") is None


async def test_members_only_note_carries_the_posts_images_with_alt_text(fed):
    """A members-only post with a picture: the group's Note to members carries it (url, type, alt text as name)."""
    group = await groups.create_group("circle", "Circle")
    ann = await remote_account("ann")
    await Membership.create(group=group, account=ann, state="accepted")
    activity = {"type": "Create", "object": {"type": "Note", "id": f"{ann.uri}/notes/1", "attachment": [
        {"type": "Document", "mediaType": "image/jpeg", "url": "https://social.example/media/banner.jpg", "name": "Our banner at the march"},
        {"type": "Document", "mediaType": "video/mp4", "url": "https://social.example/media/clip.mp4", "name": "not an image"}]}}
    post = await Post.create(group=group, author=ann, uri=f"{ann.uri}/notes/1", object_type="Note", thread_uri=f"{ann.uri}/notes/1",
                             visibility="members", state="published", published_at=now(), activity_json=json.dumps(activity),
                             content_html="<p>look</p>")
    note = await members_only.group_note(fed.urls, group, post)
    assert note["attachment"] == [{"type": "Image", "mediaType": "image/jpeg", "url": "https://social.example/media/banner.jpg",
                                   "name": "Our banner at the march"}]
