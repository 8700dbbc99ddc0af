"""Linked Data signatures as Mastodon makes and checks them (app/lib/activitypub/linked_data_signature.rb).

``sign`` adds ``signature: {type: RsaSignature2017, creator, created, signatureValue}``: the input
is sha256 hex of the URDNA2015 form of the options (``creator`` and ``created`` with the identity/v1
context) followed by that of the document without ``signature``, signed RSA-SHA256 and base64'd.
``verify`` recomputes it. Written apart from Causeway's federation/ldsignatures.py on purpose (the
two must agree by following Mastodon, not by sharing code); it reads the same context *documents*
(federation/contexts, copies of the published contexts, as Mastodon preloads its own) and nothing
from the network.
"""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

from tests.peers.mastodon_like import signing

CONTEXT_FILES = Path(__file__).resolve().parents[3] / "federation" / "contexts"
PRELOADED = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/identity/v1": "identity-v1.jsonld",
    "http://w3id.org/identity/v1": "identity-v1.jsonld",
}
IDENTITY = "https://w3id.org/identity/v1"


def _loader() -> FrozenDocumentLoader:
    """Mastodon's preloaded contexts; anything else fails to load."""
    return FrozenDocumentLoader({url: CONTEXT_FILES / name for url, name in PRELOADED.items()})


def _hash(doc: dict[str, Any]) -> str:
    """sha256 hex of the URDNA2015 N-Quads of ``doc`` (Mastodon's ``hash``, via ``canonicalize``)."""
    nquads = jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": _loader()})
    return hashlib.sha256(nquads.encode("utf-8")).hexdigest()


def _input(doc: dict[str, Any], options: dict[str, Any]) -> bytes:
    """options_hash + document_hash."""
    opts = {k: v for k, v in options.items() if k not in ("type", "id", "signatureValue")}
    opts["@context"] = IDENTITY
    return (_hash(opts) + _hash({k: v for k, v in doc.items() if k != "signature"})).encode()


def sign(doc: dict[str, Any], key_id: str, key: rsa.RSAPrivateKey, created: float | None = None) -> dict[str, Any]:
    """``doc`` with an RsaSignature2017 by ``key`` (``key_id`` as creator), created now unless given."""
    options = {"type": "RsaSignature2017", "creator": key_id,
               "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created if created is not None else time.time()))}
    value = key.sign(_input(doc, options), padding.PKCS1v15(), hashes.SHA256())
    return {**doc, "signature": {**options, "signatureValue": base64.b64encode(value).decode()}}


def verify(doc: dict[str, Any], public_key_pem: str) -> bool:
    """Whether ``doc``'s RsaSignature2017 verifies with the PEM key (False on any unloadable context)."""
    sig = doc.get("signature")
    if not isinstance(sig, dict) or sig.get("type") != "RsaSignature2017":
        return False
    try:
        data = _input(doc, sig)
        signing.load_public(public_key_pem).verify(base64.b64decode(sig.get("signatureValue") or ""), data,
                                                   padding.PKCS1v15(), hashes.SHA256())
    except (jsonld.JsonLdError, InvalidSignature, signing.SignatureError, ValueError, TypeError):
        return False
    return True
