"""Inbox forwarding in-process: an author's LD-signed edit and deletion reach members' microblog servers byte for byte;
forwarded activities are taken only on a valid, fresh Linked Data signature, and bad ones change nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from federation import ldsignatures
from federation.errors import LdSignatureError
from hub.clock import now
from hub.models import Delivery, InboxItem, Peer, Post
from tests.federation.harness import OTHER_KEY, PUBLIC, running_hub
from tests.federation.signatures.fixtures import PRIVATE_PEM
from tests.peers.mastodon_like import ldsign

pytestmark = pytest.mark.db
KEY = serialization.load_pem_private_key(PRIVATE_PEM.encode(), password=None)


def note(actor, group: str, n: int, text: str) -> dict:
    """A public Note by ``actor`` mentioning the group."""
    return {"id": f"{actor.id}/statuses/{n}", "type": "Note", "attributedTo": actor.id, "content": f"<p>{text}</p>",
            "to": [PUBLIC], "cc": [f"{actor.id}/followers", group], "published": "2026-12-04T10:00:00Z",
            "tag": [{"type": "Mention", "href": group, "name": "@climate@hub.test"}]}


def activity(kind: str, actor, obj: dict, suffix: str, *, sign: bool = True, created=None) -> dict:
    """A Mastodon-shaped activity, LD-signed by its author as Mastodon signs public ones."""
    body = {"@context": ["https://www.w3.org/ns/activitystreams", {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"}],
            "id": f"{obj['id']}{suffix}", "type": kind, "actor": actor.id, "to": [PUBLIC], "object": obj}
    if not sign:
        return body
    return ldsign.sign(body, actor.key_id, KEY, created=(created or now()).timestamp())


def posted_bodies(hub, host: str) -> list[bytes]:
    """The bodies the hub POSTed to inboxes on ``host``."""
    return [r.content for r in hub.world.requests if r.method == "POST" and r.url.host == host]


async def test_signed_edit_and_delete_are_forwarded_verbatim_to_microblogs(database_url: str, tmp_path: Path) -> None:
    """The author's Update and Delete go, unchanged, to other Mastodon members; Lemmy gets Announces; unsigned ones are not forwarded."""
    async with running_hub(database_url, tmp_path) as hub:
        # Given a group with its author on masto.test, a member on other.test (Mastodon) and one on lemmy.test
        hub.world.software_of["lemmy.test"] = "lemmy"
        group = hub.group_id()
        ann = hub.world.person("ann", "masto.test")
        bob, lena = hub.world.person("bob", "other.test"), hub.world.person("lena", "lemmy.test")
        for member in (ann, bob, lena):
            await hub.member(member)
        await Peer.filter(host="lemmy.test").update(software="lemmy")
        await Peer.filter(host__in=["masto.test", "other.test"]).update(software="mastodon")
        post = note(ann, group, 1, "Rally Saturday")
        assert (await hub.signed_post("/inbox", activity("Create", ann, post, "/activity"), ann)).status_code == 202
        await hub.drain()
        assert await Post.filter(uri=post["id"], state="published").exists()

        # When she edits it with an LD-signed Update
        update = activity("Update", ann, {**post, "content": "<p>Rally Sunday</p>", "updated": "2026-12-04T11:00:00Z"}, "#updates/1")
        raw = json.dumps(update, indent=1).encode()  # bytes as her server sent them, whitespace and all
        assert (await hub.signed_post("/inbox", None, ann, body=raw)).status_code == 202
        assert (await InboxItem.get(activity_uri=update["id"])).body.encode() == raw
        await hub.drain()

        # Then other.test gets exactly those bytes, signed by the group; masto.test (the origin) gets nothing
        forwarded = [r for r in hub.world.requests if r.method == "POST" and r.content == raw]
        assert [r.url.host for r in forwarded] == ["other.test"]
        assert f'keyId="{group}#main-key"' in forwarded[0].headers["signature"]
        # And Lemmy gets the group's Announce of the Update, not the bare Update
        lemmy = [json.loads(b) for b in posted_bodies(hub, "lemmy.test")]
        assert [a["object"]["type"] for a in lemmy if a["type"] == "Announce" and isinstance(a["object"], dict)] == ["Create", "Update"]
        assert raw not in posted_bodies(hub, "lemmy.test")

        # When a later edit carries no LD signature (secure mode), microblogs get nothing from the group (today's behaviour)
        unsigned = activity("Update", ann, {**post, "content": "<p>Rally Monday</p>"}, "#updates/2", sign=False)
        before = len(posted_bodies(hub, "other.test"))
        assert (await hub.signed_post("/inbox", unsigned, ann)).status_code == 202
        await hub.drain()
        assert len(posted_bodies(hub, "other.test")) == before
        assert "Monday" in (await Post.get(uri=post["id"])).content_html

        # When an edit's LD signature was made over other content, it is applied (the HTTP signature is hers) but not forwarded
        forged = activity("Update", ann, {**post, "content": "<p>Rally Tuesday</p>"}, "#updates/3")
        forged["object"]["content"] = "<p>Rally Wednesday</p>"
        assert (await hub.signed_post("/inbox", forged, ann)).status_code == 202
        await hub.drain()
        assert len(posted_bodies(hub, "other.test")) == before

        # When she deletes it with an LD-signed Delete, other.test gets those bytes too, besides the Undo of the boost
        delete = activity("Delete", ann, {"id": post["id"], "type": "Tombstone", "atomUri": post["id"]}, "#delete")
        raw_delete = json.dumps(delete).encode()
        assert (await hub.signed_post("/inbox", None, ann, body=raw_delete)).status_code == 202
        await hub.drain()
        assert raw_delete in posted_bodies(hub, "other.test") and raw_delete not in posted_bodies(hub, "masto.test")
        assert "Undo" in [json.loads(b)["type"] for b in posted_bodies(hub, "other.test")]
        assert await Delivery.filter(activity_uri=delete["id"], host="other.test").count() == 1


async def test_forwarded_edits_are_taken_on_the_authors_ld_signature(database_url: str, tmp_path: Path) -> None:
    """An Update forwarded by another server (a group elsewhere) is stored as the author's and applied."""
    async with running_hub(database_url, tmp_path) as hub:
        group = hub.group_id()
        ann = hub.world.person("ann", "masto.test")
        relay = hub.world.actor("https://groups.test/groups/tenants", key=OTHER_KEY, actor_type="Group")
        await hub.member(ann)
        post = note(ann, group, 1, "Rally Saturday")
        await hub.signed_post("/inbox", activity("Create", ann, post, "/activity"), ann)
        await hub.drain()
        # When another server forwards her signed edit
        update = activity("Update", ann, {**post, "content": "<p>Rally Sunday</p>"}, "#updates/1")
        assert (await hub.signed_post("/inbox", update, relay)).status_code == 202
        stored = await InboxItem.get(activity_uri=update["id"])
        assert stored.actor_uri == ann.id
        await hub.drain()
        assert "Sunday" in (await Post.get(uri=post["id"])).content_html
        # And the same activity forwarded again is not stored twice, nor checked again
        requests = len(hub.world.requests)
        assert (await hub.signed_post("/inbox", update, relay)).status_code == 202
        assert await InboxItem.filter(activity_uri=update["id"]).count() == 1 and len(hub.world.requests) == requests


async def test_bad_forwarded_activities_are_refused_without_a_request(database_url: str, tmp_path: Path) -> None:
    """Stale, foreign-creator, unknown-context, unsigned and non-edit forwards: 401, nothing stored, nothing fetched."""
    async with running_hub(database_url, tmp_path) as hub:
        relay = hub.world.actor("https://groups.test/groups/tenants", key=OTHER_KEY, actor_type="Group")
        await hub.signed_post("/inbox", {"id": f"{relay.id}#warm", "type": "Like", "actor": relay.id,
                                         "object": "https://x.test/1"}, relay)  # the relay's own key is known from here on
        carol = hub.world.person("carol", "far.test")  # never fetched by the hub
        post = {"id": f"{carol.id}/statuses/9", "type": "Note", "attributedTo": carol.id, "content": "<p>x</p>", "to": [PUBLIC]}
        stale = activity("Update", carol, post, "#u1", created=now() - ldsignatures.MAX_AGE - timedelta(hours=1))
        elsewhere = activity("Update", carol, post, "#u2")
        elsewhere["signature"]["creator"] = "https://evil.test/users/carol#main-key"
        unknown = {**activity("Update", carol, post, "#u3"), "@context": "https://evil.test/ctx.jsonld"}
        needs_fetch = {**activity("Update", carol, post, "#u4"),
                       "@context": ["https://www.w3.org/ns/activitystreams", {"@import": "https://evil.test/ctx.jsonld"}]}
        unsigned = activity("Update", carol, post, "#u5", sign=False)
        create = activity("Create", carol, post, "#u6")
        requests = len(hub.world.requests)
        for bad, reason in ((stale, "older than"), (elsewhere, "creator is not on the actor's host"),
                            (unknown, "unknown JSON-LD context"), (needs_fetch, "unknown JSON-LD context"),
                            (unsigned, "another actor"), (create, "another actor")):
            response = await hub.signed_post("/inbox", bad, relay)
            assert response.status_code == 401 and reason in response.text, (bad["id"], response.text)
            assert not await InboxItem.filter(activity_uri=bad["id"]).exists()
        assert len(hub.world.requests) == requests  # no key fetched, no context fetched
        assert not any("evil.test" in str(r.url) or "far.test" in str(r.url) for r in hub.world.requests)
        metrics = (await hub.get("/metrics")).text
        assert 'reason="linked_data"' in metrics


async def test_verify_checks_mastodons_own_signature_with_the_authors_fetched_key(database_url: str, tmp_path: Path) -> None:
    """ldsignatures.verify fetches the creator's key and checks it is the actor's: Mastodon's real signature passes,
    the same signature claimed for another actor of that server does not."""
    vector = json.loads((Path(__file__).parent / "mastodon_ld_signed_follow.json").read_text())
    document = vector["activity"]
    async with running_hub(database_url, tmp_path) as hub:
        author = hub.world.actor(document["actor"])
        author.document["publicKey"]["publicKeyPem"] = vector["publicKeyPem"]
        moment = ldsignatures.signature_of(document).created + timedelta(minutes=1)
        assert await ldsignatures.verify(hub.fed, document, moment=moment) == document["actor"]
        hub.world.actor("https://mastodon.cloud/users/other")
        with pytest.raises(LdSignatureError, match="not the activity's actor"):
            await ldsignatures.verify(hub.fed, {**document, "actor": "https://mastodon.cloud/users/other"}, moment=moment)
        assert not await ldsignatures.forwardable(hub.fed, document)  # made in 2018: too old to pass on today
