"""Linked Data signatures (RsaSignature2017): real payloads canonicalised, Mastodon's signatures checked, bad ones refused.

Signatures are made by the Mastodon-like peer's own implementation (tests/peers/mastodon_like/ldsign.py),
so the two implementations are checked against each other, not against themselves.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from federation import ldsignatures as ld
from federation.errors import LdSignatureError
from tests.federation.signatures.fixtures import OTHER_PUBLIC_PEM, PRIVATE_PEM, PUBLIC_PEM
from tests.peers.mastodon_like import ldsign

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = next(
    (p for p in (REPO.parent / "shared" / "interop" / "payloads", Path("/work/shared/interop/payloads")) if p.is_dir()),
    None,
)
pytestmark = pytest.mark.skipif(PAYLOADS is None, reason="the shared interop payloads are not on this machine")
SIGNED = ["mastodon/activities/delete.json", "friendica/activities/delete.json", "friendica/activities/update_note.json",
          "friendica/activities/create_note.json", "friendica/activities/create_page_2.json"]
"""The real payloads that carry an RsaSignature2017 (their authors' keys are not published with them)."""
CONTEXT_ONLY = ["peertube/objects/video.json", "peertube/objects/note.json", "peertube/objects/person.json",
                "peertube/objects/group.json", "peertube/activities/announce_video.json"]
"""PeerTube's documents declare RsaSignature2017 in their context (PeerTube signs what it sends with it)."""
KEY = serialization.load_pem_private_key(PRIVATE_PEM.encode(), password=None)
CREATOR = "https://mastodon.madrid/users/felix#main-key"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def payload(name: str) -> dict:
    """A real payload from ../shared/interop."""
    return json.loads((PAYLOADS / name).read_text())


def signed(document: dict, created: datetime = NOW) -> dict:
    """``document`` (its own signature removed) signed as Mastodon does with the fixed test key."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return ldsign.sign(unsigned, CREATOR, KEY, created=created.timestamp())


def verify_pure(document: dict, pem: str = PUBLIC_PEM) -> None:
    """The checks of ldsignatures.verify that need no network."""
    signature = ld.signature_of(document)
    ld.check_age(signature, NOW)
    ld.check(ld.signing_input(document, signature), signature, pem)


@pytest.mark.parametrize("name", SIGNED)
def test_real_signed_payloads_are_read_and_canonicalised(name: str) -> None:
    """Mastodon's and Friendica's signed activities: signature read, options and document canonicalised without error."""
    document = payload(name)
    signature = ld.signature_of(document)
    assert signature.creator.endswith("#main-key") and len(signature.value) in (256, 512)
    data = ld.signing_input(document, signature)
    assert len(data) == 128 and set(data.decode()) <= set("0123456789abcdef")
    assert "<https://www.w3.org/ns/activitystreams#actor>" in ld.canonical({k: v for k, v in document.items() if k != "signature"})
    # the authors' keys are not known here: the real signature does not pass for an unrelated key
    with pytest.raises(LdSignatureError, match="does not verify"):
        ld.check(data, signature, OTHER_PUBLIC_PEM)


def test_a_signature_made_by_mastodon_itself_verifies_and_tampered_copies_do_not() -> None:
    """A Follow signed by Mastodon's own (Ruby) implementation verifies with its author's key: the canonical forms agree."""
    vector = json.loads((Path(__file__).parent / "mastodon_ld_signed_follow.json").read_text())
    document, pem = vector["activity"], vector["publicKeyPem"]
    signature = ld.signature_of(document)
    ld.check_age(signature, signature.created + timedelta(minutes=5))
    ld.check(ld.signing_input(document, signature), signature, pem)
    assert ldsign.verify(document, pem)
    for field, value in (("object", "https://evil.example/u/mallory"), ("type", "Block"), ("id", document["id"] + "2")):
        tampered = {**document, field: value}
        with pytest.raises(LdSignatureError, match="does not verify"):
            ld.check(ld.signing_input(tampered, signature), signature, pem)
    restamped = {**document, "signature": {**document["signature"], "created": "2018-12-22T18:23:13Z"}}
    with pytest.raises(LdSignatureError, match="does not verify"):
        ld.check(ld.signing_input(restamped, ld.signature_of(restamped)), ld.signature_of(restamped), pem)
    with pytest.raises(LdSignatureError, match="older than"):
        ld.check_age(signature, NOW)


@pytest.mark.parametrize("name", CONTEXT_ONLY)
def test_peertube_documents_canonicalise_with_the_bundled_contexts(name: str) -> None:
    """PeerTube's documents (security/v1 and RsaSignature2017 in their context) canonicalise to N-Quads."""
    quads = ld.canonical(payload(name)).splitlines()
    assert quads and all(line.endswith(" .") for line in quads)


@pytest.mark.parametrize("name", SIGNED + ["peertube/activities/announce_video.json"])
def test_mastodon_signatures_over_real_payloads_verify_and_tampered_copies_do_not(name: str) -> None:
    """The real payloads signed as Mastodon signs verify; any change to the document or the options is refused."""
    document = signed(payload(name))
    verify_pure(document)
    assert ld.signing_input(document, ld.signature_of(document)) == ldsign._input(document, document["signature"])
    tampered = copy.deepcopy(document)
    tampered["id"] = tampered["id"] + "x"
    other_object = copy.deepcopy(document)
    other_object["to"] = ["https://evil.example/users/mallory"]
    later = copy.deepcopy(document)
    later["signature"]["created"] = "2026-12-04T12:00:01Z"
    for bad in (tampered, other_object, later):
        with pytest.raises(LdSignatureError, match="does not verify"):
            verify_pure(bad)
    with pytest.raises(LdSignatureError, match="does not verify"):
        verify_pure(document, OTHER_PUBLIC_PEM)


def test_a_key_free_change_of_json_form_keeps_the_signature() -> None:
    """Canonicalisation is of the graph: key order and whitespace do not matter, as in Mastodon."""
    document = signed(payload("mastodon/activities/delete.json"))
    reordered = json.loads(json.dumps(dict(reversed(list(document.items()))), indent=3))
    verify_pure(reordered)


def test_unknown_contexts_are_refused_never_fetched() -> None:
    """A context URL outside the bundle, or one imported from an inline context, is refused."""
    document = payload("mastodon/activities/delete.json")
    for context in (["https://www.w3.org/ns/activitystreams", "https://evil.example/ctx.jsonld"],
                    ["https://www.w3.org/ns/activitystreams", {"@import": "https://evil.example/ctx.jsonld"}],
                    "https://litepub.example/schemas/litepub-0.1.jsonld"):
        with pytest.raises(LdSignatureError, match="unknown JSON-LD context"):
            ld.canonical({**document, "@context": context})
    # signing_input refuses the same way (verification stops before any key is looked up)
    bad = {**signed(document), "@context": "https://evil.example/ctx.jsonld"}
    with pytest.raises(LdSignatureError, match="unknown JSON-LD context"):
        ld.signing_input(bad, ld.signature_of(bad))


def test_graphs_too_costly_to_canonicalise_are_refused() -> None:
    """Blank nodes URDNA2015 would try in every order (a clique), or follow for many steps (a ring), are refused; so is a flood of statements."""
    clique = [{"@id": f"_:n{i}", "http://example.org/knows": [{"@id": f"_:n{j}"} for j in range(8) if j != i]} for i in range(8)]
    with pytest.raises(LdSignatureError, match="indistinguishable"):
        ld.canonical({"@graph": clique})
    ring = [{"@id": f"_:n{i}", "http://example.org/next": {"@id": f"_:n{(i + 1) % 60}"}} for i in range(60)]
    with pytest.raises(LdSignatureError, match="too complex"):
        ld.canonical({"@graph": ring})
    many = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a.example/1", "type": "Note",
            "tag": [{"type": "Hashtag", "name": f"#t{i}", "href": f"https://a.example/t/{i}"} for i in range(ld.MAX_QUADS // 2)]}
    with pytest.raises(LdSignatureError, match="statements"):
        ld.canonical(many)


def test_stale_future_and_malformed_signatures_are_refused() -> None:
    """created older than MAX_AGE or ahead by more than MAX_FUTURE; missing parts; another signature type."""
    document = payload("mastodon/activities/delete.json")
    old = signed(document, created=NOW - ld.MAX_AGE - timedelta(minutes=1))
    with pytest.raises(LdSignatureError, match="older than"):
        ld.check_age(ld.signature_of(old), NOW)
    ahead = signed(document, created=NOW + ld.MAX_FUTURE + timedelta(minutes=1))
    with pytest.raises(LdSignatureError, match="future"):
        ld.check_age(ld.signature_of(ahead), NOW)
    ld.check_age(ld.signature_of(signed(document, created=NOW - ld.MAX_AGE + timedelta(minutes=1))), NOW)
    real = document["signature"]
    for broken, reason in (({k: v for k, v in document.items() if k != "signature"}, "no Linked Data signature"),
                           ({**document, "signature": {**real, "type": "Ed25519Signature2018"}}, "not an RsaSignature2017"),
                           ({**document, "signature": {**real, "creator": "felix"}}, "creator"),
                           ({**document, "signature": {**real, "created": "yesterday"}}, "created"),
                           ({**document, "signature": {**real, "signatureValue": "not base64!"}}, "signatureValue")):
        with pytest.raises(LdSignatureError, match=reason):
            ld.signature_of(broken)


def test_every_bundled_context_is_a_json_ld_context() -> None:
    """Each file the loader answers from is a JSON document with an @context (checked against SOURCES.md)."""
    sources = (ld.CONTEXTS_DIR / "SOURCES.md").read_text()
    for url, name in ld.CONTEXTS.items():
        assert "@context" in json.loads((ld.CONTEXTS_DIR / name).read_text()), url
        assert name in sources
