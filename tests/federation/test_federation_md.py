"""Each claim of FEDERATION.md's table "Signatures and proofs: what is sent and accepted", checked against the code.

The claims are read from the table (first column, in backticks); every claim has a check here and every
check a claim, so the file cannot promise what no test exercises.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from federation.delivery import SigningKeys, claim_deliveries, enqueue, peer_schemes, record, transmit
from federation.fetch import fetch_document
from federation.nodeinfo import peer_software
from federation.signatures import inspect_request, sign_cavage, sign_rfc9421, verify_claim
from federation.webfinger import webfinger_lookup
from hub.models import InstanceKey, Peer
from tests.federation.harness import AS_TYPE, HUB_BASE, as_response, running_hub
from tests.federation import test_integrity as test_wire

pytestmark = pytest.mark.db
TABLE = "### Signatures and proofs: what is sent and accepted"
STRICT = "https://strict.example/users/ann"


def claims() -> list[str]:
    """The claim keys of the table, in its order."""
    text = (Path(__file__).resolve().parents[2] / "FEDERATION.md").read_text(encoding="utf-8")
    section = text.split(TABLE, 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)


def scheme_of(request: httpx.Request) -> str:
    """Which signature scheme a request carries: cavage, rfc9421 or none."""
    return "rfc9421" if "signature-input" in request.headers else "cavage" if "signature" in request.headers else "none"


def only(hub, accepts: set[str], url: str = STRICT) -> list[str]:
    """Make ``url`` answer 401 unless signed with one of ``accepts`` (a GET's signature is verified); the schemes seen."""
    seen: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(scheme_of(request))
        if seen[-1] not in accepts:
            return httpx.Response(401, text="signature required in the other scheme")
        if request.method == "GET":
            claim = inspect_request("GET", str(request.url), request.url.raw_path.decode(), request.headers, None,
                                    expected_host=request.url.netloc.decode())
            verify_claim(claim, hub.instance_public_pem)
            return as_response({"id": url, "type": "Note", "content": "hi", "attributedTo": url})
        return httpx.Response(202)

    hub.world.respond(url, respond)
    return seen


async def out_get(hub) -> None:
    """out-get: a fetch is signed as the instance actor with draft-cavage first, host and date covered."""
    seen = only(hub, {"cavage"})
    await fetch_document(hub.fed.client, STRICT, sign=await hub.fed.instance_auth())
    request = [r for r in hub.world.requests if str(r.url) == STRICT][-1]
    assert seen == ["cavage"] and 'keyId="http://hub.test/actor#main-key"' in request.headers["signature"]
    assert "host" in request.headers["signature"] and "date" in request.headers["signature"]


async def out_get_401(hub) -> None:
    """out-get-401: a 401 brings the same GET signed with RFC 9421, remembered for the next fetch."""
    seen = only(hub, {"rfc9421"})
    await fetch_document(hub.fed.client, STRICT, sign=await hub.fed.instance_auth())
    assert seen == ["cavage", "rfc9421"]
    assert (await Peer.get(host="strict.example")).signature_scheme == "rfc9421"
    await fetch_document(hub.fed.client, STRICT, sign=await hub.fed.instance_auth())
    assert seen == ["cavage", "rfc9421", "rfc9421"]


async def _deliver(hub, inbox: str) -> str:
    """Enqueue, send and record one delivery of the group to ``inbox`` as the worker does; the scheme it ended with."""
    await hub.group("climate")
    await enqueue({"id": f"{HUB_BASE}/a/1", "type": "Note", "actor": hub.group_id()}, actor_uri=hub.group_id(), inboxes=[inbox])
    [delivery] = await claim_deliveries("test", limit=1)
    key = await SigningKeys(hub.fed).get(delivery.actor_uri)
    schemes = await peer_schemes([delivery.host])
    sent = await transmit(hub.fed, delivery, key, schemes.get(delivery.host) or "cavage")
    await record(hub.fed, [sent])
    return sent.scheme


async def out_post_401(hub) -> None:
    """out-post-401: a delivery refused with 401 is sent again with RFC 9421, and the server remembered."""
    seen = only(hub, {"rfc9421"}, "https://strict.example/inbox")
    assert await _deliver(hub, "https://strict.example/inbox") == "rfc9421"
    assert seen == ["cavage", "rfc9421"] and (await Peer.get(host="strict.example")).signature_scheme == "rfc9421"


async def out_shared(hub) -> None:
    """out-shared: what deliveries learnt, fetches start with, and the other way round."""
    seen = only(hub, {"rfc9421"}, "https://strict.example/inbox")
    await _deliver(hub, "https://strict.example/inbox")  # deliveries learn it ...
    seen_get = only(hub, {"rfc9421"})
    await fetch_document(hub.fed.client, STRICT, sign=await hub.fed.instance_auth())
    assert seen == ["cavage", "rfc9421"] and seen_get == ["rfc9421"]  # ... fetches start with it
    await Peer.filter(host="other.example").delete()
    only(hub, {"rfc9421"}, "https://other.example/users/bo")
    await fetch_document(hub.fed.client, "https://other.example/users/bo", sign=await hub.fed.instance_auth())
    assert (await peer_schemes(["other.example"]))["other.example"] == "rfc9421"  # and the other way round


async def out_discovery(hub) -> None:
    """out-discovery: WebFinger and NodeInfo requests carry no signature."""
    hub.world.respond("https://disc.example/.well-known/webfinger", lambda r: httpx.Response(
        200, json={"subject": "acct:a@disc.example", "links": []}, headers={"content-type": "application/jrd+json"}))
    await webfinger_lookup(hub.fed, "a@disc.example")
    await peer_software(hub.fed, "disc.example")
    asked = [r for r in hub.world.requests if r.url.host == "disc.example"]
    assert {r.url.path for r in asked} >= {"/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/2.0"}
    assert {scheme_of(r) for r in asked} == {"none"}


def _follow(hub, number: int) -> tuple[str, bytes]:
    """A Follow of the group by alice, as bytes."""
    alice = hub.world.person("alice")
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{alice.id}#follows/{number}", "type": "Follow",
                "actor": alice.id, "object": hub.group_id()}
    return alice, json.dumps(activity).encode()


async def _post(hub, scheme: str, *, tamper: bool = False) -> httpx.Response:
    """POST a Follow to the group's inbox signed with ``scheme`` (its body changed after signing when ``tamper``)."""
    await hub.group("climate")
    alice, body = _follow(hub, 1 if scheme == "cavage" else 2)
    url = f"{HUB_BASE}{hub.inbox()}"
    signer = sign_cavage if scheme == "cavage" else sign_rfc9421
    headers = signer("POST", url, {"Content-Type": AS_TYPE}, body, alice.key_id, alice.key.private_pem)
    sent = body.replace(b"Follow", b"Block") if tamper else body
    return await hub.client.post(hub.inbox(), content=sent, headers=headers)


async def in_post_cavage(hub) -> None:
    """in-post-cavage: a draft-cavage signed POST is taken."""
    assert (await _post(hub, "cavage")).status_code == 202


async def in_post_rfc9421(hub) -> None:
    """in-post-rfc9421: an RFC 9421 signed POST is taken and stored."""
    assert (await _post(hub, "rfc9421")).status_code == 202
    assert (await hub.counts()).inbox_items == 1


async def in_post_bad(hub) -> None:
    """in-post-bad: tampered POSTs of either scheme and an unsigned one get 401 and store nothing."""
    for scheme in ("cavage", "rfc9421"):
        assert (await _post(hub, scheme, tamper=True)).status_code == 401
    alice, body = _follow(hub, 3)
    assert (await hub.client.post(hub.inbox(), content=body, headers={"Content-Type": AS_TYPE})).status_code == 401
    assert (await hub.counts()).inbox_items == 0


async def _get(hub, scheme: str) -> httpx.Response:
    """GET the group actor signed with ``scheme`` (or unsigned: none)."""
    await hub.group("climate")
    alice = hub.world.person("alice")
    url = f"{HUB_BASE}/groups/climate"
    headers = {"Accept": AS_TYPE}
    if scheme != "none":
        signer = sign_cavage if scheme == "cavage" else sign_rfc9421
        headers.update(signer("GET", url, {}, None, alice.key_id, alice.key.private_pem))
    return await hub.client.get("/groups/climate", headers=headers)


async def in_get_cavage(hub) -> None:
    """in-get-cavage: a draft-cavage signed GET is served under authorized fetch."""
    assert (await _get(hub, "cavage")).status_code == 200


async def in_get_rfc9421(hub) -> None:
    """in-get-rfc9421: an RFC 9421 signed GET is served under authorized fetch."""
    response = await _get(hub, "rfc9421")
    assert response.status_code == 200 and response.json()["type"] == "Group"


async def in_get_unsigned(hub) -> None:
    """in-get-unsigned: an unsigned GET is refused under authorized fetch."""
    assert (await _get(hub, "none")).status_code == 401


CHECKS = {
    "out-get": out_get, "out-get-401": out_get_401, "out-post-401": out_post_401, "out-shared": out_shared,
    "out-discovery": out_discovery, "in-post-cavage": in_post_cavage, "in-post-rfc9421": in_post_rfc9421,
    "in-post-bad": in_post_bad, "in-get-cavage": in_get_cavage, "in-get-rfc9421": in_get_rfc9421,
    "in-get-unsigned": in_get_unsigned,
}
SCENARIOS = {  # the proof claims are shown by the end-to-end scenarios of tests/federation/test_integrity.py
    "proof-out": test_wire.test_a_groups_activities_carry_proofs_its_actor_publishes_the_key_of,
    "proof-in": test_wire.test_a_proven_relayed_post_is_taken_without_a_refetch_and_bad_proofs_are_refused,
    "proof-bad": test_wire.test_a_proven_relayed_post_is_taken_without_a_refetch_and_bad_proofs_are_refused,
    "proof-none": test_wire.test_a_proven_relayed_post_is_taken_without_a_refetch_and_bad_proofs_are_refused,
}


def test_every_claim_has_a_check_and_every_check_a_claim() -> None:
    """The table's claims and this file's checks are the same set."""
    assert sorted(claims()) == sorted({**CHECKS, **SCENARIOS})


@pytest.mark.parametrize("claim", claims())
async def test_claim(claim: str, database_url, tmp_path) -> None:
    """The claim holds: its check runs against an in-process hub with authorized fetch (or its end-to-end scenario)."""
    if claim in SCENARIOS:
        await SCENARIOS[claim](database_url, tmp_path)
        return
    async with running_hub(database_url, tmp_path, HUB_AUTHORIZED_FETCH="true") as hub:
        hub.instance_public_pem = (await InstanceKey.first()).public_key_pem
        await CHECKS[claim](hub)
