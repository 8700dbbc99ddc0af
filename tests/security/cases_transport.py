"""Hostile cases about signatures, keys and bodies (registered into tests.security.catalogue.CASES)."""

from __future__ import annotations

import time

import aiohttp
import httpx
import yarl
from multidict import CIMultiDict, CIMultiDictProxy

from federation.inbox import MAX_BODY
from hub.models import Peer
from hub.services import blocks
from federation.signatures import digest_header
from tests.federation.harness import HUB_BASE, OTHER_KEY, SignOptions, as_response, signed_headers
from federation.signer import UNVERIFIED
from tests.security.hostile import (
    BOB_POST,
    Scene,
    body_of,
    nested,
)
from tests.security.catalogue import Sent, case, create_sent, ignored


# --- signatures and keys -----------------------------------------------------------------------


@case(401, reason="not signed")
async def unsigned(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(unsigned=True))


@case(401, reason="not signed")
async def bearer_token_instead_of_signature(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(unsigned=True, extra_headers={"Authorization": "Bearer abc"}))


@case(401, reason=UNVERIFIED)
async def unknown_key_404(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 404)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_server_error_500(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 500)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_fetch_times_out(s: Scene) -> Sent:
    ghost = s.fresh("ghost")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    s.hub.world.respond(ghost.id, timeout)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_gone_410(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, 410)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_server_answers_malformed_http(s: Scene) -> Sent:
    ghost = s.fresh("ghost")

    def malformed(request: httpx.Request) -> httpx.Response:
        url = yarl.URL(str(request.url))
        info = aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
        raise aiohttp.ClientResponseError(info, (), status=400, message="Invalid header value char")

    s.hub.world.respond(ghost.id, malformed)
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_served_as_html(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response(ghost.document, content_type="text/html"))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_served_as_plain_json(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response(ghost.document, content_type="application/json"))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_fetch_redirects_to_another_host(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    evil = s.hub.world.person(ghost.id.rsplit("/", 1)[1], host="evil.test")
    s.hub.world.respond(ghost.id, httpx.Response(302, headers={"Location": evil.id}))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_document_claims_another_id(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    evil = s.hub.world.person(ghost.id.rsplit("/", 1)[1], host="evil.test")
    s.hub.world.respond(ghost.id, as_response(evil.document))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_document_larger_than_1_mib(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    s.hub.world.respond(ghost.id, as_response({**ghost.document, "summary": "x" * (MAX_BODY + 10)}))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
async def key_document_nested_too_deep(s: Scene) -> Sent:
    ghost = s.fresh("ghost")
    deep = b'{"id":"' + ghost.id.encode() + b'","type":"Person","x":' + b"[" * 200 + b"]" * 200 + b"}"
    s.hub.world.respond(ghost.id, as_response(deep))
    activity = s.create(ghost, s.note(ghost))
    return await s.post(activity, ghost), activity


@case(401, reason=UNVERIFIED)
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
    return await create_sent(s, SignOptions(key_id="acct:alice@remote.test"))


@case(401, reason=UNVERIFIED)
async def key_id_of_this_hub(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(key_id="http://hub.test/groups/climate#main-key"))


@case(401, reason="signed by another actor")
async def key_id_on_another_host_than_the_actor(s: Scene) -> Sent:
    evil = s.hub.world.person("alice", host="evil.test")
    return await create_sent(s, SignOptions(key_id=evil.key_id))


@case(401, reason="signed by another actor")
async def same_host_actor_signs_for_alice(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(key_id=s.mallory.key_id))


@case(401, reason="does not verify")
async def signed_with_a_key_the_actor_does_not_publish(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(key=OTHER_KEY))


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
    return await create_sent(s, SignOptions(digest="SHA-256=" + "A" * 43 + "="))


@case(401, reason="Digest")
async def digest_with_an_unknown_algorithm(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(digest="MD5=" + "A" * 22 + "=="))


@case(401, reason="host is not signed")
async def host_not_signed(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(names=("(request-target)", "date", "digest")))


@case(401, reason="Date is not signed")
async def date_not_signed(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(names=("(request-target)", "host", "digest")))


@case(401, reason="digest is not signed")
async def digest_not_signed(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(names=("(request-target)", "host", "date")))


@case(401, reason="Digest header is missing")
async def digest_header_dropped(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(omit=("Digest",)))


@case(401, reason="Date outside the accepted window")
async def stale_date_66_minutes(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(date=time.time() - 66 * 60))


@case(401, reason="Date outside the accepted window")
async def future_date_61_minutes(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(date=time.time() + 61 * 60))


@case(401, reason="not a valid HTTP date")
async def garbage_date(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(names=("(request-target)", "host", "date", "digest"), extra_headers={"Date": "yesterday-ish"}))


@case(401, reason="signed host is not this server")
async def signed_for_another_server(s: Scene) -> Sent:
    return await create_sent(s, SignOptions(host="other.example"))


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
    await blocks.note_change()  # as hub.services.moderation.block_domain does, without its side effects on members
    try:
        return await create_sent(s)
    finally:
        await Peer.filter(host="remote.test").update(blocked=False)
        await blocks.note_change()


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
