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

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import httpx
import pytest
import pytest_asyncio
import yarl
from multidict import CIMultiDict, CIMultiDictProxy

from federation.inbox import MAX_BODY
from federation.vocab import MAX_MENTIONS
from hub.models import Group, InboxItem, Membership, Peer, Post
from federation.signatures import digest_header
from tests.federation.harness import HUB_BASE, OTHER_KEY, SignOptions, as_response, signed_headers
from tests.security.hostile import (
    BOB_POST,
    PAGE_MARKER,
    SLUG,
    Scene,
    assert_clean,
    assert_page_clean,
    body_of,
    nested,
    scene,
)

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="module")]

Sent = tuple[httpx.Response, dict | None]


@dataclass(frozen=True)
class Case:
    """One hostile request and what it must lead to."""

    send: Callable[[Scene], Awaitable[Sent]]
    status: int
    inbox: int = 0
    """Inbox items the request may add (1 when the inbox must accept it for processing to judge)."""
    state: str | None = None
    """Final state of that item."""
    reason: str = ""
    """Substring of the refusal (error body) or of the item's recorded reason."""


CASES: dict[str, Case] = {}


def case(status: int, *, inbox: int = 0, state: str | None = None, reason: str = ""):
    """Register the decorated sender under its name."""

    def register(send: Callable[[Scene], Awaitable[Sent]]):
        CASES[send.__name__] = Case(send, status, inbox, state, reason)
        return send

    return register


def ignored(reason: str) -> dict:
    """Options of a case the inbox stores and processing ignores."""
    return {"inbox": 1, "state": "ignored", "reason": reason}


async def _create(s: Scene, sign: SignOptions = SignOptions(), **note_fields) -> Sent:
    activity = s.create(s.alice, s.note(s.alice, **note_fields))
    return await s.post(activity, s.alice, sign=sign), activity


# --- signatures and keys -----------------------------------------------------------------------


@case(401, reason="not signed")
async def unsigned(s: Scene) -> Sent:
    return await _create(s, SignOptions(unsigned=True))


@case(401, reason="not signed")
async def bearer_token_instead_of_signature(s: Scene) -> Sent:
    return await _create(s, SignOptions(unsigned=True, extra_headers={"Authorization": "Bearer abc"}))


@case(401, reason="could not fetch the key")
async def unknown_key_404(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 404)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_server_error_500(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 500)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_fetch_times_out(s: Scene) -> Sent:
    ghost = s.fresh("ghost")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    s.hub.world.respond(ghost.id, timeout)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_gone_410(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 410)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_server_answers_malformed_http(s: Scene) -> Sent:
    ghost = s.fresh("ghost")

    def malformed(request: httpx.Request) -> httpx.Response:
        url = yarl.URL(str(request.url))
        info = aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
        raise aiohttp.ClientResponseError(info, (), status=400, message="Invalid header value char")

    s.hub.world.respond(ghost.id, malformed)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_served_as_html(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response(ghost.document, content_type="text/html"))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_served_as_plain_json(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response(ghost.document, content_type="application/json"))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_fetch_redirects_to_another_host(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    evil = s.hub.world.person(ghost.id.rsplit("/", 1)[1], host="evil.test")
    s.hub.world.respond(ghost.id, httpx.Response(302, headers={"Location": evil.id}))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_document_claims_another_id(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    evil = s.hub.world.person(ghost.id.rsplit("/", 1)[1], host="evil.test")
    s.hub.world.respond(ghost.id, as_response(evil.document))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_document_larger_than_1_mib(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response({**ghost.document, "summary": "x" * (MAX_BODY + 10)}))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="could not fetch the key")
async def key_document_nested_too_deep(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    deep = b'{"id":"' + ghost.id.encode() + b'","type":"Person","x":' + b"[" * 200 + b"]" * 200 + b"}"
    s.hub.world.respond(ghost.id, as_response(deep))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="keyId is not an http(s) URL of at most 1024")
async def key_id_longer_than_1024(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    long_key = f"{ghost.id}#{'k' * 1100}"
    s.hub.world.respond(ghost.id, as_response({**ghost.document, "publicKey": {**ghost.document["publicKey"], "id": long_key}}))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost, sign=SignOptions(key_id=long_key)), activity


@case(202, **ignored("likes are not counted"))
async def actor_username_longer_than_a_handle(s: Scene) -> Sent:
    ghost = s.fresh("ghost", preferredUsername="u" * 1000)
    activity = s.activity(ghost, "Like", BOB_POST)
    return await s.post(activity, ghost), activity


@case(401, reason="longer than 255")
async def actor_on_an_overlong_host(s: Scene) -> Sent:
    host = ".".join(["a" * 60] * 5) + ".test"
    ghost = s.fresh("ghost", host=host)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason="keyId")
async def key_id_not_http(s: Scene) -> Sent:
    return await _create(s, SignOptions(key_id="acct:alice@remote.test"))


@case(401, reason="keyId names a key of this hub")
async def key_id_of_this_hub(s: Scene) -> Sent:
    return await _create(s, SignOptions(key_id="http://hub.test/groups/climate#main-key"))


@case(401, reason="signed by another actor")
async def key_id_on_another_host_than_the_actor(s: Scene) -> Sent:
    evil = s.hub.world.person("alice", host="evil.test")
    return await _create(s, SignOptions(key_id=evil.key_id))


@case(401, reason="signed by another actor")
async def same_host_actor_signs_for_alice(s: Scene) -> Sent:
    return await _create(s, SignOptions(key_id=s.mallory.key_id))


@case(401, reason="does not verify")
async def signed_with_a_key_the_actor_does_not_publish(s: Scene) -> Sent:
    return await _create(s, SignOptions(key=OTHER_KEY))


@case(401, reason="Digest does not match")
async def tampered_body(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice))
    sent = dict(activity, object=dict(activity["object"], content="<p>changed in transit</p>"))
    return await s.post(sent, s.alice, sign=SignOptions(signed_body=body_of(activity), names=("(request-target)", "host", "date", "digest"))), activity


@case(401, reason="does not verify")
async def tampered_body_with_recomputed_digest(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice))
    sent = body_of(dict(activity, object=dict(activity["object"], content="<p>changed in transit</p>")))
    headers = _headers(s, body_of(activity), SignOptions())
    headers["Digest"] = digest_header(sent)
    return await s.hub.client.post(s.inbox, content=sent, headers=headers), activity


def _headers(s: Scene, signed: bytes, options: SignOptions) -> dict[str, str]:
    return signed_headers("POST", f"{HUB_BASE}{s.inbox}", signed, s.alice, options)


@case(401, reason="Digest")
async def tampered_digest(s: Scene) -> Sent:
    return await _create(s, SignOptions(digest="SHA-256=" + "A" * 43 + "="))


@case(401, reason="Digest")
async def digest_with_an_unknown_algorithm(s: Scene) -> Sent:
    return await _create(s, SignOptions(digest="MD5=" + "A" * 22 + "=="))


@case(401, reason="host is not signed")
async def host_not_signed(s: Scene) -> Sent:
    return await _create(s, SignOptions(names=("(request-target)", "date", "digest")))


@case(401, reason="Date is not signed")
async def date_not_signed(s: Scene) -> Sent:
    return await _create(s, SignOptions(names=("(request-target)", "host", "digest")))


@case(401, reason="digest is not signed")
async def digest_not_signed(s: Scene) -> Sent:
    return await _create(s, SignOptions(names=("(request-target)", "host", "date")))


@case(401, reason="Digest header is missing")
async def digest_header_dropped(s: Scene) -> Sent:
    return await _create(s, SignOptions(omit=("Digest",)))


@case(401, reason="Date outside the accepted window")
async def stale_date_66_minutes(s: Scene) -> Sent:
    return await _create(s, SignOptions(date=time.time() - 66 * 60))


@case(401, reason="Date outside the accepted window")
async def future_date_61_minutes(s: Scene) -> Sent:
    return await _create(s, SignOptions(date=time.time() + 61 * 60))


@case(401, reason="not a valid HTTP date")
async def garbage_date(s: Scene) -> Sent:
    return await _create(s, SignOptions(names=("(request-target)", "host", "date", "digest"), extra_headers={"Date": "yesterday-ish"}))


@case(401, reason="signed host is not this server")
async def signed_for_another_server(s: Scene) -> Sent:
    return await _create(s, SignOptions(host="other.example"))


@case(401, reason="unsupported signature algorithm")
async def unsupported_algorithm(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice))
    headers = _headers(s, body_of(activity), SignOptions())
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hmac-sha256"')
    return await s.hub.client.post(s.inbox, content=body_of(activity), headers=headers), activity


@case(401, reason="")
async def malformed_signature_header(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice))
    headers = _headers(s, body_of(activity), SignOptions())
    headers["Signature"] = 'keyId="' + s.alice.key_id + '",signature="abc'
    return await s.hub.client.post(s.inbox, content=body_of(activity), headers=headers), activity


@case(403, reason="does not accept activities from your domain")
async def blocked_domain(s: Scene) -> Sent:
    await Peer.filter(host="remote.test").update(blocked=True)
    try:
        return await _create(s)
    finally:
        await Peer.filter(host="remote.test").update(blocked=False)


# --- bodies ------------------------------------------------------------------------------------


@case(413, reason="larger than")
async def body_over_1_mib(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice, content="x" * (MAX_BODY + 1)))
    return await s.post(activity, s.alice), activity


@case(400, reason="deeper than")
async def json_nested_100_deep(s: Scene) -> Sent:
    return await s.post(None, s.alice, body=nested(100)), None


@case(400, reason="UTF-8")
async def invalid_utf8(s: Scene) -> Sent:
    body = body_of(s.create(s.alice, s.note(s.alice))).replace(b"Meeting", b"Meet\xff\xfeing")
    return await s.post(None, s.alice, body=body), None


@case(400, reason="not valid JSON")
async def not_json(s: Scene) -> Sent:
    return await s.post(None, s.alice, body=b"<html>hello</html>"), None


@case(400, reason="not valid JSON")
async def json_with_nan(s: Scene) -> Sent:
    return await s.post(None, s.alice, body=b'{"id": NaN}'), None


@case(400, reason="not an object")
async def json_array_at_the_top(s: Scene) -> Sent:
    return await s.post(None, s.alice, body=b"[1, 2, 3]"), None


@case(400, reason="not valid JSON")
async def empty_body(s: Scene) -> Sent:
    return await s.post(None, s.alice, body=b""), None


# --- origins -----------------------------------------------------------------------------------


@case(400, reason="activity id is not on the actor's host")
async def activity_id_on_another_host(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice), id="https://evil.test/activities/1")
    return await s.post(activity, s.alice), activity


@case(400, reason="activity id is not on the actor's host")
async def activity_id_on_this_hub(s: Scene) -> Sent:
    activity = s.create(s.alice, s.note(s.alice), id="http://hub.test/groups/climate/activities/announce/1")
    return await s.post(activity, s.alice), activity


@case(400, reason="embedded object's id is not on the actor's host")
async def object_id_on_another_host(s: Scene) -> Sent:
    return await _create(s, id="https://evil.test/statuses/1")


@case(400, reason="attributed to someone else")
async def embedded_object_attributed_to_someone_else(s: Scene) -> Sent:
    return await _create(s, attributedTo=s.bob.id)


@case(400, reason="attributed to someone else")
async def update_of_bobs_post_embedded_by_mallory(s: Scene) -> Sent:
    note = s.note(s.bob, id=BOB_POST, content="<p>defaced</p>")
    activity = s.activity(s.mallory, "Update", note)
    return await s.post(activity, s.mallory), activity


@case(400, reason="embedded object's id")
async def embedded_object_id_longer_than_1024(s: Scene) -> Sent:
    return await _create(s, id=f"{s.alice.id}/statuses/{'9' * 1100}")


@case(400, reason="not on the actor's host")
async def update_of_the_group_by_a_member(s: Scene) -> Sent:
    group = {"id": s.group_id, "type": "Group", "name": "Defaced", "summary": "pwned", "inbox": f"{s.group_id}/inbox"}
    activity = s.activity(s.alice, "Update", group)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not on the actor's host"))
async def update_of_the_group_by_reference(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Update", s.group_id)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not on the actor's host"))
async def create_referencing_an_object_on_another_host(s: Scene) -> Sent:
    evil = s.note(s.alice, id="https://evil.test/statuses/9", attributedTo=s.alice.id)
    s.hub.world.serve(evil)
    activity = s.create(s.alice, evil["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("claims the id"))
async def fetched_object_claims_an_id_on_another_host(s: Scene) -> Sent:
    url = s.next_id(s.alice, "statuses")
    s.hub.world.serve(s.note(s.alice, id="https://evil.test/statuses/1"), url=url)
    activity = s.create(s.alice, url)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("not an ActivityStreams document"))
async def fetched_object_served_as_html(s: Scene) -> Sent:
    note = s.note(s.alice)
    s.hub.world.respond(note["id"], as_response(note, content_type="text/html"))
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("redirected to another host"))
async def fetched_object_redirects_to_another_host(s: Scene) -> Sent:
    note = s.note(s.alice)
    s.hub.world.respond(note["id"], httpx.Response(301, headers={"Location": "https://evil.test/statuses/1"}))
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("HTTP 404"))
async def fetched_object_is_missing(s: Scene) -> Sent:
    activity = s.create(s.alice, s.next_id(s.alice, "statuses"))
    s.hub.world.respond(activity["object"], 404)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("attributed to someone else"))
async def fetched_object_attributed_to_someone_else(s: Scene) -> Sent:
    note = s.note(s.alice, attributedTo=s.bob.id)
    s.hub.world.serve(note)
    activity = s.create(s.alice, note["id"])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("no id"))
async def embedded_object_without_an_id(s: Scene) -> Sent:
    return await _create(s, id=None)


@case(202, **ignored("Delete of an object on another host"))
async def delete_of_an_object_on_another_host(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Delete", "https://evil.test/statuses/1")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("Delete of an object on another host"))
async def delete_of_a_local_group(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Delete", s.group_id)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("only the author may delete"))
async def delete_of_bobs_post_by_mallory(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Delete", BOB_POST)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("only the author may edit"))
async def update_claiming_bobs_post_id(s: Scene) -> Sent:
    note = s.note(s.mallory, id=BOB_POST, content="<p>defaced</p>")
    activity = s.activity(s.mallory, "Update", note)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("Undo of someone else's Follow"))
async def undo_of_bobs_follow_by_mallory(s: Scene) -> Sent:
    follow = {"id": f"{s.bob.id}#follows/{SLUG}", "type": "Follow", "actor": s.bob.id, "object": s.group_id}
    activity = s.activity(s.mallory, "Undo", follow)
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("no membership to end"))
async def undo_of_bobs_follow_by_reference(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Undo", f"{s.bob.id}#follows/{SLUG}")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("mentions"))
async def thousands_of_mentions(s: Scene) -> Sent:
    tags = [{"type": "Mention", "href": s.group_id}] + [
        {"type": "Mention", "href": f"https://remote.test/users/u{n}", "name": f"@u{n}@remote.test"} for n in range(3000)
    ]
    return await _create(s, tag=tags)


@case(202, **ignored("mentions"))
async def mentions_just_over_the_cap(s: Scene) -> Sent:
    tags = [{"type": "Mention", "href": s.group_id}] + [
        {"type": "Mention", "href": f"https://other{n}.test/users/u"} for n in range(MAX_MENTIONS)
    ]
    return await _create(s, tag=tags)


@case(202, **ignored("not addressed to a local group"))
async def mention_of_a_group_that_does_not_exist(s: Scene) -> Sent:
    nosuch = "http://hub.test/groups/nosuch"
    activity = s.create(s.alice, s.note(s.alice, cc=[nosuch], tag=[{"type": "Mention", "href": nosuch}]), cc=[nosuch])
    return await s.post(activity, s.alice), activity


@case(202, **ignored("Follow of something that is not a local group"))
async def follow_of_the_instance_actor(s: Scene) -> Sent:
    activity = s.activity(s.mallory, "Follow", "http://hub.test/actor")
    return await s.post(activity, s.mallory), activity


@case(202, **ignored("inReplyTo"))
async def in_reply_to_longer_than_1024(s: Scene) -> Sent:
    return await _create(s, inReplyTo=f"https://remote.test/statuses/{'1' * 1100}")


# --- NUL characters (PostgreSQL refuses them in text; SQLite does not care) -------------------------------


@case(202, **ignored("likes are not counted"))
async def nul_in_the_actors_username_and_name(s: Scene) -> Sent:
    ghost = s.fresh("ghost", preferredUsername="gh\u0000ost", name="Gh\u0000ost")
    activity = s.activity(ghost, "Like", BOB_POST)
    return await s.post(activity, ghost), activity


@case(202, **ignored("is not handled"))
async def nul_in_the_activity_type(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Ann\u0000ounce", BOB_POST)
    return await s.post(activity, s.alice), activity


@case(202, **ignored("inReplyTo"))
async def nul_in_in_reply_to(s: Scene) -> Sent:
    return await _create(s, inReplyTo="https://remote.test/statuses/\u00001")


@case(400, reason="embedded object's id")
async def nul_in_the_object_id(s: Scene) -> Sent:
    return await _create(s, id="https://remote.test/users/alice/statuses/\u00009")


@case(202, **ignored("Delete names no http(s) id"))
async def nul_in_a_deleted_id(s: Scene) -> Sent:
    activity = s.activity(s.alice, "Delete", "https://remote.test/users/alice/statuses/\u00009")
    return await s.post(activity, s.alice), activity


# --- wrong JSON types in every field ---------------------------------------------------------------

ACTIVITY_FIELDS = {
    "id": (42, ["https://remote.test/users/alice/activities/x"], {"id": "x"}, None),
    "type": (42, [7], {"type": "Create"}, None),
    "actor": (42, ["https://remote.test/users/alice"], True, None),
    "object": (42, True, 4.5),
}
OBJECT_FIELDS = {
    "to": (42, True),
    "cc": (42, 4.5),
    "tag": (42, True),
    "content": (42, ["<p>a</p>"], {"html": "x"}),
    "name": (42, ["title"]),
    "summary": (42, {"x": 1}),
    "contentMap": (42, "<p>a</p>", ["en"], {"en": 42}),
    "published": (42, ["2025-01-01T00:00:00Z"]),
    "inReplyTo": (42, True),
    "attachment": (42, True),
    "url": (42, True),
}


def _wrong_activity_field(name: str, value: object) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        activity = s.create(s.alice, s.note(s.alice))
        if value is None:
            activity.pop(name)
        else:
            activity[name] = value
        return await s.post(activity, s.alice), None

    return send


def _wrong_object_field(name: str, value: object) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        note = s.note(s.alice)
        note[name] = value
        if name == "contentMap":
            note.pop("content")
        activity = s.create(s.alice, note)
        return await s.post(activity, s.alice), activity

    return send


def _wrong_activity_addressing(name: str) -> Callable[[Scene], Awaitable[Sent]]:
    async def send(s: Scene) -> Sent:
        activity = s.create(s.alice, s.note(s.alice, to=None, cc=None), **{name: 42})
        return await s.post(activity, s.alice), activity

    return send


for _field, _values in ACTIVITY_FIELDS.items():
    for _value in _values:
        _label = "missing" if _value is None else type(_value).__name__
        CASES[f"wrong_type_activity_{_field}_{_label}"] = Case(_wrong_activity_field(_field, _value), 400)
for _field, _values in OBJECT_FIELDS.items():
    for _value in _values:
        _label = type(_value).__name__ + ("_of_int" if isinstance(_value, dict) and 42 in _value.values() else "")
        CASES[f"wrong_type_object_{_field}_{_label}"] = Case(_wrong_object_field(_field, _value), 202, **ignored(_field))
for _field in ("to", "cc"):
    CASES[f"wrong_type_activity_{_field}_int"] = Case(_wrong_activity_addressing(_field), 202, **ignored(_field))


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
    response, activity = await _create(s, url="https://remote.test/@alice/\u00001")
    assert response.status_code == 202
    await s.hub.drain()
    post = await Post.get(uri=activity["object"]["id"])
    assert post.state == "published" and post.url is None


async def test_fifty_mentions_are_still_a_post(shared: Scene) -> None:
    """The mention cap counts every mention: the group plus 49 others is accepted."""
    s = shared
    tags = [{"type": "Mention", "href": s.group_id}] + [{"type": "Mention", "href": f"https://o{n}.test/u"} for n in range(MAX_MENTIONS - 1)]
    response, activity = await _create(s, tag=tags)
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

