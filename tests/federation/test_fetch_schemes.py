"""Signed fetches knock twice as deliveries do: the scheme a server accepted first, the other on a 401, remembered."""

from __future__ import annotations

import httpx
import pytest

from federation.context import build_federation
from federation.fetch import FetchStatusError, fetch_document
from federation.peer_schemes import PeerSchemes
from federation.signatures import inspect_request, verify_claim
from hub.models import Peer
from hub.services.instance import instance_key
from hub.settings import load_settings

pytestmark = pytest.mark.db
ACTOR = "https://strict.example/users/ann"


def server(accepts: set[str], seen: list[str]):
    """A server that answers 401 to any GET not signed with one of ``accepts``, checking each signature."""
    keys: dict[str, str] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        scheme = "rfc9421" if "signature-input" in request.headers else "cavage" if "signature" in request.headers else "none"
        seen.append(scheme)
        if scheme not in accepts:
            return httpx.Response(401, text="use the other scheme")
        target = request.url.raw_path.decode()
        claim = inspect_request("GET", str(request.url), target, request.headers, None, expected_host="strict.example")
        verify_claim(claim, keys["pem"])
        assert claim.key_id == "https://hub.test/actor#main-key"
        return httpx.Response(200, json={"id": ACTOR, "type": "Person"}, headers={"content-type": "application/activity+json"})

    return handle, keys


@pytest.mark.parametrize(("accepts", "first", "then"), [
    ({"rfc9421"}, ["cavage", "rfc9421"], ["rfc9421"]),
    ({"cavage"}, ["cavage"], ["cavage"]),
])
async def test_a_get_refused_with_one_scheme_is_signed_with_the_other_and_the_server_is_remembered(db, accepts, first, then):
    """A 401 to draft-cavage brings an RFC 9421 GET; the scheme taken is stored, and the next process starts with it."""
    seen: list[str] = []
    handle, keys = server(accepts, seen)
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}), http_transport=httpx.MockTransport(handle))
    try:
        keys["pem"] = (await instance_key()).public_key_pem
        assert (await fetch_document(fed.client, ACTOR, sign=await fed.instance_auth()))["id"] == ACTOR
        assert seen == first
        assert await Peer.get(host="strict.example").values_list("signature_scheme", flat=True) == sorted(accepts)[0]
        seen.clear()
        fed.peer_schemes = PeerSchemes()  # another process: it reads what the first one learnt
        fed._instance_auth.clear()
        await fetch_document(fed.client, ACTOR, sign=await fed.instance_auth())
        assert seen == then
    finally:
        await fed.close()


async def test_posts_and_gets_share_what_a_server_accepted(db):
    """A scheme deliveries learnt (peers.signature_scheme) is the one fetches start with, and the other way round."""
    await Peer.create(host="strict.example", signature_scheme="rfc9421")
    seen: list[str] = []
    handle, keys = server({"rfc9421"}, seen)
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}), http_transport=httpx.MockTransport(handle))
    try:
        keys["pem"] = (await instance_key()).public_key_pem
        await fetch_document(fed.client, ACTOR, sign=await fed.instance_auth())
        assert seen == ["rfc9421"]
    finally:
        await fed.close()


async def test_a_server_refusing_both_schemes_is_an_error_and_nothing_is_remembered(db):
    """Two 401s make a FetchStatusError(401) and remember nothing."""
    seen: list[str] = []
    handle, _ = server(set(), seen)
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}), http_transport=httpx.MockTransport(handle))
    try:
        with pytest.raises(FetchStatusError) as caught:
            await fetch_document(fed.client, ACTOR, sign=await fed.instance_auth())
        assert caught.value.status == 401 and seen == ["cavage", "rfc9421"]
        assert await Peer.filter(host="strict.example").count() == 0
    finally:
        await fed.close()
