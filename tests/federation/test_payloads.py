"""Every real payload of ../shared/interop/payloads/ against the real app: handled or ignored with a reason.

Each activity is rewritten onto fake hosts served by the mock world (paths kept), the community it
targets becomes the local group ``climate``, it is re-signed as its actor, POSTed to the group's
inbox and the worker drained. Objects and collections go through the code the hub uses for fetched
documents (``fetch_document`` then ``remote.store_actor`` / ``processing.draft_from``).

Expected outcomes (``CASES`` below is the executable form of this table):

================================================  ======  ========  ==========================================
payload                                           status  item      why
================================================  ======  ========  ==========================================
friendica create_note (reply naming the group)    202     done      member's reply published
friendica create_page_1 (Mastodon @-mention)      202     done      member's post published
friendica create_page_2 (Article to group)        202     done      member's post published
friendica update_note                             202     done      author edits the post
friendica delete                                  202     done      author deletes the post (Tombstone)
friendica like/dislike/undo_dislike               202     ignored   likes are not counted
lemmy block/undo_block_user                       202     ignored   a group decides its own bans
lemmy add/remove featured, add/remove mod         202     ignored   only local organisers pin / appoint
lemmy announce_create_page (by a remote group)    202     ignored   Announce is not a post to the group
lemmy report (Flag to the group)                  202     done      report in the group's queue
lemmy lock/undo_lock, warn, resolve               202     ignored   not handled (reason recorded)
lemmy update_community                            400     -         Update of an object on another host
lemmy create_comment / create_page                202     done      member's comment / page published
lemmy create_private_message (+0.19 ChatMessage)  202     ignored   not addressed to a group / not a post
lemmy update_page                                 202     done      author edits the page
lemmy delete_page                                 202     done      author deletes the page
lemmy delete_private_message                      202     done      tombstone recorded
lemmy delete_user                                 202     done      actor deleted, memberships end
lemmy remove_note (mod removal on another host)   202     ignored   Delete of an object on another host
lemmy undo_delete_*, undo_remove_note             202     ignored   deleted content is not restored
lemmy accept (from a remote community)            202     ignored   answers no Follow of this hub
lemmy follow                                      202     done      join accepted, Accept delivered
lemmy undo_follow                                 202     done      member leaves
lemmy voting/*                                    202     ignored   likes are not counted
mastodon create_note (reply, no group)            202     ignored   not addressed to a local group
mastodon create_note, mention -> group (variant)  202     done      @-mention of the group publishes
mastodon delete                                   202     done      author deletes the post
mastodon flag (about accounts unknown here)       202     ignored   Flag about nothing this hub knows
mastodon follow / undo_follow                     202     done      join / leave
mastodon like_page / undo_like_page               202     ignored   likes are not counted
mastodon private_message (a bare Note)            400     -         not an activity: no actor
mbin accept                                       202     ignored   not handled
mbin flag (audience: the group)                   202     done      report in the group's queue
peertube announce_video                           202     ignored   Announce is not a post to the group
pleroma create_note (reply, no group)             202     ignored   not addressed to a local group
pleroma delete                                    202     done      author deletes the post
pleroma follow (of a person)                      202     ignored   not a local group
================================================  ======  ========  ==========================================
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from federation.context import build_federation
from federation.fetch import fetch_document
from federation.objects import clean_object, draft_from
from federation.remote import ACTOR_TYPES, store_actor
from federation.vocab import ids, type_of
from hub.models import Group, InboxItem, Membership, Post
from tests.federation.harness import PUBLIC, Hub, RemoteWorld, hub_settings, running_hub

pytestmark = pytest.mark.db

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = next(
    (p for p in (REPO.parent / "shared" / "interop" / "payloads", Path("/work/shared/interop/payloads")) if p.is_dir()),
    None,
)
KEEP_HOSTS = frozenset({"www.w3.org", "w3id.org"})
GROUP_SUFFIXES = ("", "/followers", "/moderators", "/featured", "/outbox", "/inbox")
_URL = re.compile(r"https?://[^\s\"'<>\\]+")
_COMMUNITY_PATH = re.compile(r"^/(c|m)/[^/]+$")
SLUG = "climate"
SHARED_INBOX_SOFTWARE = ("mastodon/", "pleroma/", "friendica/")
"""Servers that deliver to the shared inbox whenever the receiver has one; the rest post to the group's."""


@dataclass(frozen=True)
class Case:
    """What one payload must lead to."""

    path: str
    status: int = 202
    state: str | None = "ignored"
    reason: str = ""
    prelude: str = "member"
    """member: the actor is a member first; post: ... and the object is already posted; none."""
    effect: str | None = None
    """published, edited, deleted, tombstone, joined, left, gone: checked after draining."""
    extra_groups: tuple[str, ...] = ()
    """More original URLs that denote the group in this case."""
    variant: str = ""


CASES = [
    Case("friendica/activities/create_note.json", state="done", reason="climate: published", effect="published"),
    Case("friendica/activities/create_page_1.json", state="done", reason="climate: published", effect="published"),
    Case("friendica/activities/create_page_2.json", state="done", reason="climate: published", effect="published"),
    Case("friendica/activities/update_note.json", state="done", reason="post edited", prelude="post", effect="edited"),
    Case("friendica/activities/delete.json", state="done", reason="post deleted", prelude="post", effect="deleted"),
    Case("friendica/activities/like_page.json", reason="likes are not counted"),
    Case("friendica/activities/dislike_page.json", reason="dislikes are not counted"),
    Case("friendica/activities/undo_dislike_page.json", reason="Undo of Dislike is not handled"),
    Case("lemmy/activities/block/block_user.json", reason="the group decides its own bans"),
    Case("lemmy/activities/block/undo_block_user.json", reason="Undo of a Block: nothing to restore"),
    Case("lemmy/activities/community/add_featured_post.json", reason="only the group's own organisers feature posts"),
    Case("lemmy/activities/community/add_mod.json", reason="only the group's own organisers appoint its moderators"),
    Case("lemmy/activities/community/announce_create_page.json", reason=""),
    Case("lemmy/activities/community/lock_note.json", reason="Lock of a reference is not handled"),
    Case("lemmy/activities/community/lock_page.json", reason="Lock of a reference is not handled"),
    Case("lemmy/activities/community/remove_featured_post.json", reason="only the group's own organisers feature posts"),
    Case("lemmy/activities/community/remove_mod.json", reason="only the group's own organisers appoint its moderators"),
    Case("lemmy/activities/community/report_page.json", state="done", reason="in the queue of climate"),
    Case("lemmy/activities/community/resolve_report_page.json", reason="Resolve of Flag is not handled"),
    Case("lemmy/activities/community/undo_lock_note.json", reason="Undo of Lock is not handled"),
    Case("lemmy/activities/community/undo_lock_page.json", reason="Undo of Lock is not handled"),
    Case("lemmy/activities/community/update_community.json", status=400, state=None, reason="not on the actor's host"),
    Case("lemmy/activities/community/warn.json", reason="Warn of a reference is not handled"),
    Case("lemmy/activities/create_or_update/create_comment.json", state="done", reason="climate: published", effect="published"),
    Case("lemmy/activities/create_or_update/create_page.json", state="done", reason="climate: published", effect="published"),
    Case("lemmy/activities/create_or_update/create_private_message.json", reason="not addressed to a local group"),
    Case("lemmy/activities/create_or_update/create_private_message_0.19.json", reason="Create of ChatMessage is not a post"),
    Case("lemmy/activities/create_or_update/update_page.json", state="done", reason="post edited", prelude="post", effect="edited"),
    Case("lemmy/activities/deletion/delete_page.json", state="done", reason="post deleted", prelude="post", effect="deleted"),
    Case("lemmy/activities/deletion/delete_private_message.json", state="done", reason="tombstone recorded", effect="tombstone"),
    Case("lemmy/activities/deletion/delete_user.json", state="done", reason="1 membership(s) ended", effect="gone"),
    Case("lemmy/activities/deletion/remove_note.json", reason="Delete of an object on another host"),
    Case("lemmy/activities/deletion/undo_delete_page.json", reason="Undo of Delete is not handled"),
    Case("lemmy/activities/deletion/undo_delete_private_message.json", reason="Undo of Delete is not handled"),
    Case("lemmy/activities/deletion/undo_remove_note.json", reason="Undo of Delete is not handled"),
    Case("lemmy/activities/following/accept.json", reason=""),
    Case("lemmy/activities/following/follow.json", state="done", reason="join accepted", prelude="none", effect="joined"),
    Case("lemmy/activities/following/undo_follow.json", state="done", reason="left 1 group(s)", effect="left"),
    Case("lemmy/activities/voting/dislike_page.json", reason="dislikes are not counted"),
    Case("lemmy/activities/voting/like_note.json", reason="likes are not counted"),
    Case("lemmy/activities/voting/undo_dislike_page.json", reason="Undo of Like is not handled"),
    Case("lemmy/activities/voting/undo_like_note.json", reason="Undo of Like is not handled"),
    Case("mastodon/activities/create_note.json", reason="not addressed to a local group"),
    Case(
        "mastodon/activities/create_note.json", state="done", reason="climate: published", effect="published",
        extra_groups=("https://mamot.fr/users/retiolus",), variant="mention-group",
    ),
    Case("mastodon/activities/delete.json", state="done", reason="post deleted", prelude="post", effect="deleted"),
    Case("mastodon/activities/flag.json", reason="Flag about nothing this hub knows"),
    Case("mastodon/activities/follow.json", state="done", reason="join accepted", prelude="none", effect="joined"),
    Case("mastodon/activities/like_page.json", reason="likes are not counted"),
    Case("mastodon/activities/private_message.json", status=400, state=None, reason="needs an actor"),
    Case("mastodon/activities/undo_follow.json", state="done", reason="left 1 group(s)", effect="left"),
    Case("mastodon/activities/undo_like_page.json", reason="Undo of Like is not handled"),
    Case("mbin/activities/accept.json", reason=""),
    Case("mbin/activities/flag.json", state="done", reason="in the queue of climate"),
    Case("peertube/activities/announce_video.json", reason=""),
    Case("pleroma/activities/create_note.json", reason="not addressed to a local group"),
    Case("pleroma/activities/delete.json", state="done", reason="post deleted", prelude="post", effect="deleted"),
    Case("pleroma/activities/follow.json", reason="Follow of something that is not a local group", prelude="none"),
]


def fake_netloc(netloc: str) -> str:
    """The fake host standing in for a real one: ``ds9.lemmy.ml`` -> ``ds9-lemmy-ml.remote.test``."""
    return re.sub(r"[^a-z0-9-]", "-", netloc.lower()) + ".remote.test"


class Rewriter:
    """Moves a payload onto fake hosts and points the ids that denote the group at the local group."""

    def __init__(self, group_id: str, communities: set[tuple[str, str]]) -> None:
        self.group_id = group_id
        self.communities = communities

    def _group_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        path = parts.path.rstrip("/")
        for suffix in GROUP_SUFFIXES:
            if path.endswith(suffix) and (parts.netloc.lower(), path[: len(path) - len(suffix)]) in self.communities:
                return self.group_id + suffix
        return None

    def _url(self, match: re.Match) -> str:
        url = match.group(0)
        mapped = self._group_url(url)
        if mapped is not None:
            return mapped
        parts = urlsplit(url)
        if parts.netloc.lower() in KEEP_HOSTS:
            return url
        return urlunsplit(parts._replace(netloc=fake_netloc(parts.netloc)))

    def rewrite(self, value: object) -> object:
        """Rewrite a JSON value recursively: every URL in every string."""
        if isinstance(value, str):
            return _URL.sub(self._url, value)
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if isinstance(value, dict):
            out = {k: self.rewrite(v) for k, v in value.items()}
            if out.get("type") == "Mention" and out.get("href") == self.group_id:
                out["name"] = f"@{SLUG}@{urlsplit(self.group_id).netloc}"
            return out
        return value


def communities_of(payload: dict, extra: tuple[str, ...]) -> set[tuple[str, str]]:
    """(host, path) of every community the payload names (Lemmy /c/, Mbin /m/, audience), except its actor."""
    found: set[tuple[str, str]] = set()

    def key(url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return parts.netloc.lower(), parts.path.rstrip("/")

    def walk(value: object, field: str | None = None) -> None:
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            host, path = key(value)
            if _COMMUNITY_PATH.match(path) or field == "audience":
                found.add((host, path))
        elif isinstance(value, list):
            for item in value:
                walk(item, field)
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)

    walk(payload)
    found |= {key(url) for url in extra}
    actor = payload.get("actor")
    if isinstance(actor, str):
        found.discard(key(actor))
    return found


def load(path: str) -> dict:
    """A payload file as JSON."""
    assert PAYLOADS is not None
    return json.loads((PAYLOADS / path).read_text())


def prepared(case: Case, group_id: str) -> dict:
    """The payload on fake hosts, aimed at the local group."""
    payload = load(case.path)
    return Rewriter(group_id, communities_of(payload, case.extra_groups)).rewrite(payload)


def activity_files() -> set[str]:
    """Every payload under an activities/ folder."""
    if PAYLOADS is None:
        return set()
    return {str(p.relative_to(PAYLOADS)) for p in PAYLOADS.rglob("*.json") if "activities" in p.parts}


def document_files() -> list[str]:
    """Every object and collection payload."""
    if PAYLOADS is None:
        return []
    return sorted(str(p.relative_to(PAYLOADS)) for p in PAYLOADS.rglob("*.json") if "activities" not in p.parts)


needs_payloads = pytest.mark.skipif(PAYLOADS is None, reason="../shared/interop/payloads is not present")


@needs_payloads
def test_every_activity_payload_has_an_expected_outcome():
    """The table covers exactly the activity payloads on disk."""
    assert {c.path for c in CASES} == activity_files()


def _object_of(activity: dict) -> dict | None:
    obj = activity.get("object")
    return obj if isinstance(obj, dict) else None


def prelude_create(activity: dict, actor: str, group_id: str) -> dict:
    """A Create of the post that the case's Update or Delete is about, as its author first sent it."""
    obj = _object_of(activity)
    object_id = obj["id"] if obj is not None else activity["object"]
    if obj is not None and type_of(obj) in ("Note", "Page", "Article"):
        original = copy.deepcopy(obj)
        original["content"] = "<p>the original text</p>"
        original.pop("contentMap", None)
        original.pop("updated", None)
        original.setdefault("to", [PUBLIC])
    else:
        original = {"id": object_id, "type": "Note", "content": "<p>the original text</p>", "to": [PUBLIC]}
    original["attributedTo"] = actor
    original["cc"] = [*ids(original.get("cc")), group_id]
    return {"id": f"{object_id}#prelude-create", "type": "Create", "actor": actor, "object": original, "to": [PUBLIC], "cc": [group_id]}


async def check_effect(hub: Hub, case: Case, activity: dict, actor: str) -> None:
    """The effect the case promises is visible in the database (and on the wire)."""
    obj = _object_of(activity)
    object_id = obj["id"] if obj is not None and isinstance(obj.get("id"), str) else activity.get("object")
    if case.effect == "published":
        post = await Post.get(uri=object_id)
        assert post.state == "published"
        assert "<script" not in post.content_html
        page = (await hub.get(f"/groups/{SLUG}")).text
        assert f"/posts/{post.id}" in page or post.visibility not in ("public", "unlisted")
    elif case.effect == "edited":
        post = await Post.get(uri=object_id)
        assert "the original text" not in post.content_html
        assert post.edited_at is not None
    elif case.effect == "deleted":
        post = await Post.get(uri=object_id)
        assert post.state == "deleted" and post.content_html == ""
    elif case.effect == "tombstone":
        assert not await Post.filter(uri=object_id).exists()
    elif case.effect == "joined":
        membership = await Membership.get(account__uri=actor)
        assert membership.state == "accepted"
        assert any(url == hub.world.actor(actor).inbox and body.get("type") == "Accept" for url, body in hub.world.deliveries)
    elif case.effect == "left":
        assert (await Membership.get(account__uri=actor)).state == "left"
    elif case.effect == "gone":
        assert (await Membership.get(account__uri=actor)).state == "gone"


@needs_payloads
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path.replace("/activities/", ":").removesuffix(".json") + (f"+{c.variant}" if c.variant else ""))
async def test_payload_is_handled_or_ignored_with_a_reason(case: Case, database_url: str, tmp_path: Path) -> None:
    """Delivered to the group's inbox, the payload gets its expected status and final state, never a 5xx."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given the local group, and the payload's actor (a member unless the case says otherwise)
        await hub.group(SLUG)
        activity = prepared(case, hub.group_id(SLUG))
        actor_id = activity.get("actor") or activity.get("attributedTo")
        actor = hub.world.actor(actor_id)
        if case.prelude in ("member", "post"):
            await hub.member(actor, SLUG)
        if case.prelude == "post":
            response = await hub.signed_post(hub.inbox(SLUG), prelude_create(activity, actor.id, hub.group_id(SLUG)), actor)
            assert response.status_code == 202, response.text
        await hub.drain()
        before = await hub.counts()

        # When it is POSTed, signed by its actor, and the worker drains the queues
        inbox = hub.inbox(None) if case.path.startswith(SHARED_INBOX_SOFTWARE) else hub.inbox(SLUG)
        response = await hub.signed_post(inbox, activity, actor)
        await hub.drain()

        # Then the status is the expected one, the item ends done/ignored with a reason, the hub still answers
        assert response.status_code < 500
        assert response.status_code == case.status, response.text
        if case.state is None:
            assert case.reason in response.json()["error"]
            assert (await hub.counts()).inbox_items == before.inbox_items
        else:
            item = await InboxItem.get(activity_uri=activity["id"])
            assert (item.state, item.last_error) == (case.state, item.last_error)
            assert item.last_error, "every outcome records a reason"
            assert case.reason in item.last_error
            await check_effect(hub, case, activity, actor.id)
        assert await hub.alive()


@needs_payloads
@pytest.mark.parametrize("path", document_files())
async def test_object_and_collection_payloads_parse_like_fetched_documents(path: str, db, tmp_path: Path) -> None:
    """Objects fetched from their own id become actors or post drafts; collections yield their item ids."""
    # Given the document served at its (fake-host) id
    document = Rewriter("http://hub.test/groups/climate", set()).rewrite(load(path))
    world = RemoteWorld(auto_actors=False)
    world.serve(document)
    fed = build_federation(hub_settings("sqlite://unused", tmp_path / "data"), http_transport=httpx.MockTransport(world))
    try:
        # When the hub fetches it the way it fetches keys, actors and objects
        fetched = await fetch_document(fed.client, document["id"], local_host=fed.urls.host)
    finally:
        await fed.close()
    kind = type_of(fetched)

    # Then each kind goes through its parser without an error
    if kind in ACTOR_TYPES:
        actor = await store_actor(fetched)
        assert actor.uri == document["id"]
        assert actor.public_key_pem and "PRIVATE" not in actor.public_key_pem
    elif kind in ("OrderedCollection", "Collection"):
        items = ids(fetched.get("orderedItems") or fetched.get("items"))
        assert all(isinstance(i, str) for i in items)
    else:
        group = Group(slug=SLUG, name="Climate")
        draft = draft_from({"id": f"{fetched['id']}#create"}, fetched, json.dumps(fetched), group, fed, await clean_object(fetched))
        assert draft.uri == fetched["id"]
        for text in (draft.content_html, draft.title or "", draft.summary or ""):
            assert "<script" not in text.lower() and "javascript:" not in text.lower()


def test_rewriter_points_the_community_at_the_group_and_moves_hosts():
    """Community ids (any scheme, with collection suffixes) become the group's; every other host a fake one."""
    payload = {
        "actor": "http://ds9.lemmy.ml/u/alpha",
        "to": ["http://enterprise.lemmy.ml/c/main", PUBLIC],
        "cc": ["https://enterprise.lemmy.ml/c/main/followers"],
        "object": {"content": '<a href="https://enterprise.lemmy.ml/c/main">!main</a>', "tag": [{"type": "Mention", "href": "https://enterprise.lemmy.ml/c/main", "name": "@main@enterprise.lemmy.ml"}]},
    }
    group = "http://hub.test/groups/climate"
    out = Rewriter(group, communities_of(payload, ())).rewrite(payload)
    assert out["actor"] == "http://ds9-lemmy-ml.remote.test/u/alpha"
    assert out["to"] == [group, PUBLIC]
    assert out["cc"] == [f"{group}/followers"]
    assert f'href="{group}"' in out["object"]["content"]
    assert out["object"]["tag"][0] == {"type": "Mention", "href": group, "name": "@climate@hub.test"}

