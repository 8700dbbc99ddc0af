"""federation.proofs against the published test vectors: FEP-8b32's example, W3C vc-di-eddsa eddsa-jcs-2022, RFC 8785.

Sources: codeberg.org/fediverse/fep fep/8b32 (fep-8b32.feature, the 2024 version with ``@context`` in the
proof), w3c/vc-di-eddsa TestVectors/keyPair.json and TestVectors/eddsa-jcs-2022/signedJCS.json, RFC 8785
section 3.2.2 and appendix B.
"""

import copy
from datetime import UTC, datetime

import pytest
import rfc8785

from federation import proofs
from federation.errors import ProofError

SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"  # both the FEP's and the W3C key pair
PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

FEP_DOCUMENT = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
    "id": "https://server.example/activities/1",
    "type": "Create",
    "actor": "https://server.example/users/alice",
    "object": {
        "id": "https://server.example/objects/1",
        "type": "Note",
        "attributedTo": "https://server.example/users/alice",
        "content": "Hello world",
        "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962},
    },
}
FEP_PROOF_VALUE = "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
FEP_KEY_ID = "https://server.example/users/alice#ed25519-key"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)

W3C_SIGNED = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"did:key:{PUBLIC}#{PUBLIC}",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX",
    },
}


def test_key_pair_of_the_vectors() -> None:
    """Both vectors' secret key gives their public Multikey, and encodes back to itself."""
    assert proofs.public_of_secret(SECRET) == PUBLIC
    assert proofs.secret_multikey(proofs.parse_secret_multikey(SECRET)) == SECRET


def test_signing_reproduces_the_fep_proof() -> None:
    """Signing FEP-8b32's example document at its time gives its published proof, which verifies."""
    signed = proofs.sign(FEP_DOCUMENT, key_id=FEP_KEY_ID, key=proofs.parse_secret_multikey(SECRET), created=CREATED)
    assert signed["proof"] == {
        "@context": FEP_DOCUMENT["@context"], "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": FEP_KEY_ID, "proofPurpose": "assertionMethod", "proofValue": FEP_PROOF_VALUE,
        "created": "2023-02-24T23:36:38Z",
    }
    proofs.verify(proofs.check_form(signed), PUBLIC)


def test_w3c_eddsa_jcs_2022_vector_verifies() -> None:
    """W3C's eddsa-jcs-2022 signed credential verifies; one changed field does not."""
    # did:key verification methods are not actors: check the signature itself, as check_form would build it
    proof = W3C_SIGNED["proof"]
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in W3C_SIGNED.items() if k != "proof"}
    claim = proofs.ProofClaim(proof["verificationMethod"], "", options, unsecured, proofs.multibase_decode(proof["proofValue"]))
    proofs.verify(claim, PUBLIC)
    tampered = proofs.ProofClaim(claim.key_id, "", options, {**unsecured, "name": "Alumnus"}, claim.signature)
    with pytest.raises(ProofError, match="does not verify"):
        proofs.verify(tampered, PUBLIC)


def test_fep_document_tampered_is_refused() -> None:
    """A changed content, author or proof date makes the FEP example fail."""
    signed = proofs.sign(FEP_DOCUMENT, key_id=FEP_KEY_ID, key=proofs.parse_secret_multikey(SECRET), created=CREATED)
    for change in (("object", "content", "Hello world!"), ("object", "attributedTo", "https://server.example/users/bob")):
        tampered = copy.deepcopy(signed)
        tampered[change[0]][change[1]] = change[2]
        with pytest.raises(ProofError, match="does not verify"):
            proofs.verify(proofs.check_form(tampered), PUBLIC)
    moved = copy.deepcopy(signed)
    moved["proof"]["created"] = "2024-02-24T23:36:38Z"
    with pytest.raises(ProofError, match="does not verify"):
        proofs.verify(proofs.check_form(moved), PUBLIC)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("cryptosuite", "eddsa-rdfc-2022", "cryptosuite"),
    ("cryptosuite", "jcs-eddsa-2022", "cryptosuite"),
    ("type", "Ed25519Signature2020", "cryptosuite"),
    ("proofPurpose", "authentication", "purpose"),
    ("verificationMethod", "https://elsewhere.example/users/alice#ed25519-key", "not on the server"),
    ("proofValue", "uAAAA", "multibase"),
    ("proofValue", "z" + "1" * 40, "not an Ed25519 signature"),
])
def test_malformed_proofs_are_refused_before_any_key(field: str, value: str, reason: str) -> None:
    """Other types, cryptosuites, purposes, keys of another server and bad proofValues are refused by their form."""
    signed = proofs.sign(FEP_DOCUMENT, key_id=FEP_KEY_ID, key=proofs.parse_secret_multikey(SECRET), created=CREATED)
    signed["proof"][field] = value
    with pytest.raises(ProofError, match=reason):
        proofs.check_form(signed)


def test_wrong_key_types_are_refused() -> None:
    """A P-256 Multikey, a secret key or a truncated or non-multibase value is no Ed25519 public key."""
    signed = proofs.sign(FEP_DOCUMENT, key_id=FEP_KEY_ID, key=proofs.parse_secret_multikey(SECRET), created=CREATED)
    claim = proofs.check_form(signed)
    p256 = "zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"  # a P-256 Multikey (vc-di-ecdsa's vectors)
    for key in (p256, SECRET, "z6Mk", "not-multibase"):
        with pytest.raises(ProofError):
            proofs.verify(claim, key)


def test_assertion_keys_of_an_actor() -> None:
    """Only Ed25519 Multikeys on the actor's host and controlled by it are kept."""
    actor = "https://server.example/users/alice"
    document = {"id": actor, "assertionMethod": [
        proofs.multikey(FEP_KEY_ID, actor, PUBLIC),
        proofs.multikey("https://other.example/k", actor, PUBLIC),  # another host
        proofs.multikey(actor + "#p256", actor, "zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"),  # not Ed25519
        proofs.multikey(actor + "#theirs", "https://server.example/users/bob", PUBLIC),  # another controller
    ]}
    assert proofs.assertion_keys(document, actor) == {FEP_KEY_ID: PUBLIC}


@pytest.mark.parametrize(("value", "expected"), [
    # RFC 8785 3.2.2 (sorting and numbers) and appendix B (IEEE 754 numbers)
    ({"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/", "literals": [None, True, False]},
     '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
     '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'),
    ({"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"},
     '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",'
     '"€":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'),
    (9007199254740992.0, "9007199254740992"),
    (1e21, "1e+21"),
    (-0.0, "0"),
])
def test_rfc8785_vectors(value: object, expected: str) -> None:
    """The JCS library gives RFC 8785's own outputs (sorting by UTF-16, ES6 numbers, escapes)."""
    assert rfc8785.dumps(value).decode("utf-8") == expected


def test_base58_round_trip_keeps_leading_zeros() -> None:
    """base58btc round-trips, leading zero bytes included, and matches a known value."""
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40))):
        assert proofs.b58decode(proofs.b58encode(data)) == data
    assert proofs.b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
