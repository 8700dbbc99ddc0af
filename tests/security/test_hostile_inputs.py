"""Hostile requests against the real app: each is refused (or ignored) and changes nothing.

Every case in ``CASES`` runs against a fresh hub (tests.security.hostile.scene: group ``climate``,
members alice and bob — bob with a published post — and mallory, a non-member on their server)
and asserts (a) the HTTP status, (b) no inbox item beyond the expected one, no post, no membership,
post or group change, (c) no delivery queued after the worker drained, (d) GET /nodeinfo/2.0 still
answers 200. Cases the inbox accepts (202) because only processing can judge them also assert the
item's final state and its recorded reason. The scenario tests at the end cover sequences
(replay, Delete before Create, someone else's Undo/Update/Delete) and sanitising of accepted posts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from federation.vocab import MAX_MENTIONS
from hub.models import Group, InboxItem, Membership, Post
from tests.security.hostile import (
    PAGE_MARKER,
    SLUG,
    Scene,
    assert_clean,
    assert_page_clean,
    scene,
)
from tests.security import cases_content, cases_transport  # noqa: F401 - importing a module registers its cases
from tests.security.catalogue import CASES, create_sent

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(_databases, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    """One hub for the whole module: every case uses its own actors and ids and is judged by deltas."""
    directory = tmp_path_factory.mktemp("hostile")
    url = _databases.create(directory, "hostile")
    try:
        async with scene(url, directory) as s:
            yield s
    finally:
        (getattr(_databases, "release", None) or _databases.drop)(url)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_hostile_request_is_refused_and_changes_nothing(name: str, shared: Scene) -> None:
    """The request gets its status; nothing beyond the expected inbox item is stored or sent; the hub answers."""
    hostile, s = CASES[name], shared
    before = await s.snapshot()
    response, activity = await hostile.send(s)
    assert response.status_code == hostile.status, response.text
    if response.status_code >= 400:
        assert hostile.reason in response.json()["error"]
    await s.assert_unchanged(before, inbox_items=hostile.inbox)
    if hostile.state is not None:
        assert activity is not None
        item = await InboxItem.get(activity_uri=activity["id"])
        assert item.state == hostile.state, item.last_error
        assert item.last_error and hostile.reason in item.last_error, item.last_error


async def test_the_catalogue_has_at_least_sixty_hostile_requests() -> None:
    """The brief: at least 60 hostile requests."""
    assert len(CASES) >= 60


# --- sequences --------------------------------------------------------------------------------------


async def test_replayed_activity_is_accepted_once(shared: Scene) -> None:
    """A second POST of the same activity answers 202 and stores nothing new."""
    s = shared
    activity = s.create(s.alice, s.note(s.alice))
    assert (await s.post(activity, s.alice)).status_code == 202
    await s.hub.drain()
    before = await s.snapshot()
    assert (await s.post(activity, s.alice)).status_code == 202
    await s.assert_unchanged(before)
    assert await Post.filter(uri=activity["object"]["id"]).count() == 1


async def test_delete_before_create_leaves_no_post(shared: Scene) -> None:
    """A Delete that overtakes its Create tombstones the id: the late Create stores nothing."""
    s = shared
    note = s.note(s.alice)
    before = await s.snapshot()
    assert (await s.post(s.activity(s.alice, "Delete", {"id": note["id"], "type": "Tombstone"}), s.alice)).status_code == 202
    create = s.create(s.alice, note)
    assert (await s.post(create, s.alice)).status_code == 202
    await s.assert_unchanged(before, inbox_items=2)
    assert not await Post.filter(uri=note["id"]).exists()
    assert "deleted before" in (await InboxItem.get(activity_uri=create["id"])).last_error


async def test_delete_by_someone_else_does_not_block_the_authors_create(shared: Scene) -> None:
    """Mallory 'deleting' alice's next post id in advance does not stop alice's Create."""
    s = shared
    note = s.note(s.alice)
    assert (await s.post(s.activity(s.mallory, "Delete", note["id"]), s.mallory)).status_code == 202
    await s.hub.drain()
    assert (await s.post(s.create(s.alice, note), s.alice)).status_code == 202
    await s.hub.drain()
    assert (await Post.get(uri=note["id"])).state == "published"


async def test_undo_of_someone_elses_follow_leaves_the_membership(shared: Scene) -> None:
    """Carol stays a member whatever mallory undoes; carol's own Undo does end it."""
    s = shared
    carol = await s.fresh_member("carol")
    follow = {"id": f"{carol.id}#follows/{SLUG}", "type": "Follow", "actor": carol.id, "object": s.group_id}
    assert (await s.post(s.activity(s.mallory, "Undo", follow), s.mallory)).status_code == 202
    assert (await s.post(s.activity(s.mallory, "Undo", follow["id"]), s.mallory)).status_code == 202
    await s.hub.drain()
    assert (await Membership.get(account__uri=carol.id)).state == "accepted"
    assert (await s.post(s.activity(carol, "Undo", follow), carol)).status_code == 202
    await s.hub.drain()
    assert (await Membership.get(account__uri=carol.id)).state == "left"


async def test_update_of_the_group_by_a_non_moderator_is_ignored(shared: Scene) -> None:
    """Neither an embedded nor a referenced Update changes the group's profile."""
    s = shared
    embedded = s.activity(s.alice, "Update", {"id": s.group_id, "type": "Group", "name": "Defaced"})
    assert (await s.post(embedded, s.alice)).status_code == 400
    referenced = s.activity(s.alice, "Update", s.group_id)
    assert (await s.post(referenced, s.alice)).status_code == 202
    await s.hub.drain()
    assert (await Group.get(slug=SLUG)).name == "Climate"
    assert (await InboxItem.get(activity_uri=referenced["id"])).state == "ignored"


async def test_delete_of_someone_elses_post_leaves_it(shared: Scene) -> None:
    """Carol's post stays published after mallory's Delete; carol's own Delete removes it."""
    s = shared
    carol = await s.fresh_member("carol")
    note = s.note(carol)
    assert (await s.post(s.create(carol, note), carol)).status_code == 202
    await s.hub.drain()
    assert (await s.post(s.activity(s.mallory, "Delete", note["id"]), s.mallory)).status_code == 202
    await s.hub.drain()
    assert (await Post.get(uri=note["id"])).state == "published"
    assert (await s.post(s.activity(carol, "Delete", note["id"]), carol)).status_code == 202
    await s.hub.drain()
    assert (await Post.get(uri=note["id"])).state == "deleted"


async def test_a_post_url_with_a_nul_is_dropped_not_stored(shared: Scene) -> None:
    """A NUL in ``url`` (PostgreSQL refuses NUL in text) costs the post its link, not its publication."""
    s = shared
    response, activity = await create_sent(s, url="https://remote.test/@alice/\u00001")
    assert response.status_code == 202
    await s.hub.drain()
    post = await Post.get(uri=activity["object"]["id"])
    assert post.state == "published" and post.url is None


async def test_fifty_mentions_are_still_a_post(shared: Scene) -> None:
    """The mention cap counts every mention: the group plus 49 others is accepted."""
    s = shared
    tags = [{"type": "Mention", "href": s.group_id}] + [{"type": "Mention", "href": f"https://o{n}.test/u"} for n in range(MAX_MENTIONS - 1)]
    response, activity = await create_sent(s, tag=tags)
    assert response.status_code == 202
    await s.hub.drain()
    assert (await Post.get(uri=activity["object"]["id"])).state == "published"


# --- HTML in every HTML-bearing field of an accepted post -----------------------------------------------

VECTORS = {
    "script": f"<script>{PAGE_MARKER}()</script>",
    "event_handler": f'<img src="x" onerror="{PAGE_MARKER}()"><b onclick="{PAGE_MARKER}()" onmouseover="{PAGE_MARKER}()">hi</b>',
    "javascript_url": f'<a href="javascript:{PAGE_MARKER}()">link</a><a href=" JaVaScRiPt:{PAGE_MARKER}()">2</a>',
    "iframe": f'<iframe src="https://evil.test/{PAGE_MARKER}"></iframe><iframe srcdoc="<script>{PAGE_MARKER}</script>"></iframe>',
    "svg": f'<svg onload="{PAGE_MARKER}()"><script>{PAGE_MARKER}</script><a xlink:href="javascript:{PAGE_MARKER}()">s</a></svg>',
    "css": f'<style>body{{background:url({PAGE_MARKER})}}</style><p style="background:url(javascript:{PAGE_MARKER})">styled</p><div style="width:expression({PAGE_MARKER})">x</div>',
}
EVERYTHING = "<p>Hello</p>" + "".join(VECTORS.values())
HTML_FIELDS = ("content", "contentMap", "name", "summary", "attachment_name")


def _evil_note(s: Scene, field_name: str, html: str) -> dict:
    if field_name == "content":
        return s.note(s.alice, content=html)
    if field_name == "contentMap":
        return s.note(s.alice, content=None, contentMap={"en": html})
    if field_name == "name":
        return s.note(s.alice, type="Page", name=html)
    if field_name == "summary":
        return s.note(s.alice, summary=html)
    return s.note(s.alice, attachment=[{"type": "Document", "mediaType": "image/png", "url": "https://remote.test/a.png", "name": html}])


async def _assert_sanitised_everywhere(s: Scene, note: dict) -> None:
    post = await Post.get(uri=note["id"])
    assert post.state == "published"
    for value, where in ((post.content_html, "content_html"), (post.title, "title"), (post.summary, "summary"), (post.url, "url")):
        assert_clean(value, where)
    for path in (f"/groups/{SLUG}", f"/posts/{post.id}"):
        response = await s.hub.get(path)
        assert response.status_code == 200
        assert_page_clean(response.text, path)


@pytest.mark.parametrize("field_name", HTML_FIELDS)
async def test_every_vector_in_each_html_field_is_sanitised(field_name: str, shared: Scene) -> None:
    """A member's post carrying every vector in one field is stored and shown without any of them."""
    s = shared
    before = await s.snapshot()
    note = _evil_note(s, field_name, EVERYTHING)
    response = await s.post(s.create(s.alice, note), s.alice)
    assert response.status_code == 202
    await s.hub.drain()
    after = await s.snapshot()
    assert after.counts.posts == before.counts.posts + 1
    await _assert_sanitised_everywhere(s, note)


@pytest.mark.parametrize("vector", sorted(VECTORS))
async def test_each_vector_in_content_is_sanitised(vector: str, shared: Scene) -> None:
    """Each vector alone in content (the field every server fills) is neutralised."""
    s = shared
    note = s.note(s.alice, content=f"<p>before</p>{VECTORS[vector]}<p>after</p>")
    assert (await s.post(s.create(s.alice, note), s.alice)).status_code == 202
    await s.hub.drain()
    await _assert_sanitised_everywhere(s, note)
    assert "after" in (await Post.get(uri=note["id"])).content_html


async def test_javascript_url_and_language_injection_are_dropped(shared: Scene) -> None:
    """A javascript: ``url`` is not kept as the post's link; a contentMap key is not trusted as a lang attribute."""
    s = shared
    note = s.note(s.alice, url=f"javascript:{PAGE_MARKER}()", content=None, contentMap={'x" onclick="a': "<p>hi</p>"})
    assert (await s.post(s.create(s.alice, note), s.alice)).status_code == 202
    await s.hub.drain()
    post = await Post.get(uri=note["id"])
    assert post.url is None
    assert post.language is None
    await _assert_sanitised_everywhere(s, note)

