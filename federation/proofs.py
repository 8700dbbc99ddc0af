"""FEP-8b32 object integrity proofs: ``DataIntegrityProof`` with the ``eddsa-jcs-2022`` cryptosuite.

Pure and offline. A group signs what it publishes with an Ed25519 key of its own, published on its
actor as a FEP-521a ``Multikey`` in ``assertionMethod`` (the RSA ``publicKey`` stays for HTTP
signatures). The procedure is the W3C vc-di-eddsa one for eddsa-jcs-2022:

    proof options = the proof without ``proofValue`` (its ``@context`` = the document's, when it has one)
    hash data     = SHA-256(JCS(proof options)) || SHA-256(JCS(document without ``proof``))
    proofValue    = multibase base58btc (``z...``) of the Ed25519 signature of the hash data

JCS is RFC 8785 (the ``rfc8785`` package). Keys are multibase base58btc with their multicodec prefix:
``0xed01`` for an Ed25519 public key (``z6Mk...``), ``0x8026`` for an Ed25519 secret key.

:func:`check_form` refuses, before any key is looked up, proofs of another type, cryptosuite or
purpose and proofs whose key is not on the signer's own server; :func:`verify` then checks the
signature with the public key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from federation.errors import ProofError
from federation.fetch import same_host

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PURPOSE = "assertionMethod"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
ED25519_PUBLIC = b"\xed\x01"
ED25519_SECRET = b"\x80\x26"
MAX_MULTIBASE = 200
KEY_FRAGMENT = "#ed25519-key"

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet) of ``data``; leading zero bytes become leading ``1``s."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Bytes of a base58 (Bitcoin alphabet) string; ProofError for any other character."""
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise ProofError(f"{char!r} is not a base58 character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_decode(value: object) -> bytes:
    """The bytes of a multibase base58btc string (``z`` prefix); ProofError for anything else."""
    if not isinstance(value, str) or not value.startswith("z") or len(value) > MAX_MULTIBASE:
        raise ProofError("not a multibase base58btc value (it must start with 'z')")
    return b58decode(value[1:])


def public_multikey(key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase`` of an Ed25519 public key (``z6Mk...``)."""
    return "z" + b58encode(ED25519_PUBLIC + key.public_bytes_raw())


def _key_bytes(value: object, prefix: bytes, what: str) -> bytes:
    raw = multibase_decode(value)
    if not raw.startswith(prefix) or len(raw) != 34:
        raise ProofError(f"the {what} is not an Ed25519 Multikey")
    return raw[2:]


def parse_public_multikey(value: object) -> Ed25519PublicKey:
    """The Ed25519 public key of a ``publicKeyMultibase``; ProofError for other key types or lengths."""
    return Ed25519PublicKey.from_public_bytes(_key_bytes(value, ED25519_PUBLIC, "key"))


def secret_multikey(key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase`` of an Ed25519 private key (the form of the FEP's test vectors; a group's key is stored
    as PEM, hub.keys)."""
    return "z" + b58encode(ED25519_SECRET + key.private_bytes_raw())


def parse_secret_multikey(value: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of a ``secretKeyMultibase``."""
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(value, ED25519_SECRET, "secret key"))


def public_of_secret(secret: str) -> str:
    """The ``publicKeyMultibase`` that goes with a ``secretKeyMultibase``."""
    return public_multikey(parse_secret_multikey(secret).public_key())


def multikey(key_id: str, controller: str, public_multibase: str) -> dict[str, str]:
    """The FEP-521a ``Multikey`` verification method published in an actor's ``assertionMethod``."""
    return {"id": key_id, "type": "Multikey", "controller": controller, "publicKeyMultibase": public_multibase}


def proof_key_id(actor_uri: str) -> str:
    """The id of a local actor's Ed25519 key: its actor id with ``#ed25519-key``."""
    return actor_uri + KEY_FRAGMENT


def assertion_method(actor_uri: str, private_pem: str) -> list[dict]:
    """A local actor's ``assertionMethod``: its Ed25519 key (PKCS#8 PEM) published as a Multikey."""
    key = load_pem_private_key(private_pem.encode(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ProofError("the proof key is not an Ed25519 key")
    return [multikey(proof_key_id(actor_uri), actor_uri, public_multikey(key.public_key()))]


def _hash_data(options: dict, unsecured: dict) -> bytes:
    try:
        return hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofError(f"the document cannot be canonicalised (RFC 8785): {exc}") from None


def sign(document: dict, *, key_id: str, key: Ed25519PrivateKey, created: datetime | None = None) -> dict:
    """A copy of ``document`` with an eddsa-jcs-2022 ``proof`` made with ``key`` as ``key_id``."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    moment = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    options: dict[str, Any] = {
        "type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "verificationMethod": key_id,
        "proofPurpose": PURPOSE, "created": moment.isoformat().replace("+00:00", "Z"),
    }
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    signature = key.sign(_hash_data(options, unsecured))
    return {**unsecured, "proof": {**options, "proofValue": "z" + b58encode(signature)}}


@dataclass(frozen=True)
class ProofClaim:
    """A proof whose form was checked: who must have signed, with which key, over what."""

    key_id: str
    signer: str
    options: dict
    unsecured: dict
    signature: bytes


def signer_of(document: dict) -> str | None:
    """Whose proof a document must carry: its ``attributedTo`` (objects) or ``actor`` (activities)."""
    for name in ("attributedTo", "actor"):
        value = document.get(name)
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str):
            return value
    return None


def check_form(document: dict) -> ProofClaim:
    """Everything that needs no key: one eddsa-jcs-2022 proof by a key on the server of the document and its signer.

    The key must be on the same host as the document's ``id`` and its ``attributedTo``/``actor``, and
    the proof's ``@context`` (when given) must begin the document's own.
    """
    proof = document.get("proof")
    if isinstance(proof, list):
        ours = [p for p in proof if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
        proof = ours[0] if len(ours) == 1 else None
    if not isinstance(proof, dict):
        raise ProofError("the document carries no single proof object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"only {PROOF_TYPE} proofs with the {CRYPTOSUITE} cryptosuite are accepted")
    if proof.get("proofPurpose") != PURPOSE:
        raise ProofError(f"the proof's purpose is not {PURPOSE}")
    key_id, object_id, signer = proof.get("verificationMethod"), document.get("id"), signer_of(document)
    if not isinstance(key_id, str) or not isinstance(object_id, str) or not isinstance(signer, str):
        raise ProofError("the proof needs a verificationMethod, and the document an id and an attributedTo or actor")
    if not (same_host(key_id, signer) and same_host(signer, object_id)):
        raise ProofError("the proof's key is not on the server of the document and its author")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in options:
        mine, theirs = options["@context"], unsecured.get("@context")
        mine_list = mine if isinstance(mine, list) else [mine]
        theirs_list = theirs if isinstance(theirs, list) else [theirs]
        if theirs_list[: len(mine_list)] != mine_list:
            raise ProofError("the proof's @context does not match the document's")
        unsecured["@context"] = mine
    signature = multibase_decode(proof.get("proofValue"))
    if len(signature) != 64:
        raise ProofError("the proofValue is not an Ed25519 signature")
    return ProofClaim(key_id, signer, options, unsecured, signature)


def verify(claim: ProofClaim, public_multibase: str) -> None:
    """Check the claim's signature with the key; ProofError when it does not verify (a tampered document)."""
    key = parse_public_multikey(public_multibase)
    try:
        key.verify(claim.signature, _hash_data(claim.options, claim.unsecured))
    except InvalidSignature:
        raise ProofError("the proof does not verify: the document was changed after it was signed") from None


def assertion_keys(document: dict, actor_id: str) -> dict[str, str]:
    """An actor document's Ed25519 ``assertionMethod`` Multikeys on its own host, controlled by it: {key id: multibase}."""
    methods = document.get("assertionMethod")
    found: dict[str, str] = {}
    for method in methods if isinstance(methods, list) else [methods]:
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            continue
        key_id, value = method.get("id"), method.get("publicKeyMultibase")
        if not isinstance(key_id, str) or method.get("controller") != actor_id or not same_host(key_id, actor_id):
            continue
        try:
            parse_public_multikey(value)
        except (ProofError, ValueError):
            continue
        found[key_id] = value
        if len(found) >= 8:
            break
    return found
