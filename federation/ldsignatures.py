"""Linked Data signatures (RsaSignature2017): the author's own signature inside an activity.

Mastodon signs its public ``Create``, ``Update`` and ``Delete`` this way when it is not in secure
mode, and applies an activity that another server forwards only when this signature verifies
against the author's key (app/lib/activitypub/linked_data_signature.rb):

- ``options`` = the ``signature`` object without ``type``, ``id`` and ``signatureValue``, with
  ``"@context": "https://w3id.org/identity/v1"``;
- the signed input is ``sha256hex(URDNA2015(options)) + sha256hex(URDNA2015(document without
  signature))``, the canonical forms being N-Quads;
- ``signatureValue`` is base64 of RSASSA-PKCS1-v1_5 with SHA-256 over that input, by the key named
  ``creator``, which must be a key of the activity's ``actor``.

JSON-LD contexts come **only** from the files bundled in federation/contexts (:data:`CONTEXTS`); a
document naming any other context URL is refused, never fetched. Canonicalisation is bounded
(:data:`MAX_QUADS`, :data:`MAX_TIED`, :data:`MAX_STEPS`) so a crafted graph cannot make it run for
minutes, and it runs off the event loop. A signature counts only while ``created`` is within
:data:`MAX_AGE` (and not more than :data:`MAX_FUTURE` ahead): an old forwarded activity is refused.

Pure functions (:func:`signature_of`, :func:`canonical`, :func:`signing_input`, :func:`check`) need
no I/O; :func:`verify` adds the author's key (federation.remote.lookup_key) and the checks of who
signed. Signing is the peers' business (the Mastodon-like test peer signs as Mastodon does).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from federation.context import Federation
from federation.errors import KeyFetchError, LdSignatureError, OriginError
from federation.fetch import same_host
from federation.remote import lookup_key
from federation.vocab import id_of, parse_time
from hub.clock import now

SIGNATURE_TYPE = "RsaSignature2017"
IDENTITY_CONTEXT = "https://w3id.org/identity/v1"
"""The context of the signature options (Mastodon's ``ActivityPub::LinkedDataSignature::CONTEXT``)."""
CONTEXTS_DIR = Path(__file__).parent / "contexts"
CONTEXTS: Mapping[str, str] = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "http://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "http://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/identity/v1": "identity-v1.jsonld",
    "http://w3id.org/identity/v1": "identity-v1.jsonld",
}
"""Context URL -> bundled file (federation/contexts/SOURCES.md says where each comes from). Nothing else is loaded."""
MAX_AGE = timedelta(days=3)
"""How old ``created`` may be: Mastodon retries a delivery for about that long, a replay later is refused."""
MAX_FUTURE = timedelta(hours=1)
"""How far ahead of this hub's clock ``created`` may be."""
MAX_QUADS = 5_000
"""RDF statements a document may expand to (a 1 MiB note with many tags stays far below)."""
MAX_TIED = 6
"""Blank nodes that canonicalisation may have to try in every order (6! = 720 orders)."""
MAX_STEPS = 500
"""Hash N-Degree Quads steps per canonicalisation (a real activity needs a handful at most)."""


@dataclass(frozen=True)
class LdSignature:
    """A document's RsaSignature2017, read but not yet checked."""

    creator: str
    """The key id that signed (``<actor>#main-key``)."""
    created: datetime
    """When the author's server signed."""
    value: bytes
    """The decoded ``signatureValue``."""
    options: dict[str, Any]
    """The signature object without type, id and signatureValue: what the options hash covers."""


def signature_of(document: Mapping[str, Any]) -> LdSignature:
    """The document's RsaSignature2017; LdSignatureError when there is none or it is malformed."""
    signature = document.get("signature")
    if not isinstance(signature, dict):
        raise LdSignatureError("the activity carries no Linked Data signature")
    if signature.get("type") != SIGNATURE_TYPE:
        raise LdSignatureError(f"the Linked Data signature is not an {SIGNATURE_TYPE}")
    creator, created, value = signature.get("creator"), signature.get("created"), signature.get("signatureValue")
    if not isinstance(creator, str) or not creator.startswith(("http://", "https://")):
        raise LdSignatureError("the Linked Data signature names no http(s) creator key")
    when = parse_time(created) if isinstance(created, str) else None
    if when is None:
        raise LdSignatureError("the Linked Data signature has no readable created time")
    try:
        decoded = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise LdSignatureError("the Linked Data signature has no base64 signatureValue")
    options = {key: item for key, item in signature.items() if key not in ("type", "id", "signatureValue")}
    return LdSignature(creator, when, decoded, options)


def check_age(signature: LdSignature, moment: datetime | None = None) -> None:
    """LdSignatureError when ``created`` is older than MAX_AGE or further ahead than MAX_FUTURE."""
    moment = moment or now()
    if signature.created < moment - MAX_AGE:
        raise LdSignatureError(f"the Linked Data signature is older than {MAX_AGE.days} days (a replay is refused)")
    if signature.created > moment + MAX_FUTURE:
        raise LdSignatureError("the Linked Data signature is dated in the future")


@cache
def _bundled(url: str) -> str:
    """The text of one bundled context (read once per process, parsed afresh for each use)."""
    return (CONTEXTS_DIR / CONTEXTS[url]).read_text(encoding="utf-8")


class _Loader:
    """A pyld document loader that answers from the bundled contexts and refuses every other URL."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, url: str, options: dict) -> dict[str, Any]:
        if url not in CONTEXTS:
            self.refused.append(url)
            raise jsonld.JsonLdError("context not bundled", "jsonld.LoadDocumentError", {"url": url},
                                     code="loading document failed")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": json.loads(_bundled(url))}


class _BoundedURDNA2015(URDNA2015):
    """URDNA2015 that gives up on graphs whose blank nodes would take too many orders or steps to try."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        related = super().create_hash_to_related(id_, issuer)
        if any(len(nodes) > MAX_TIED for nodes in related.values()):
            raise LdSignatureError(f"the document has more than {MAX_TIED} indistinguishable blank nodes")
        return related

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LdSignatureError("the document is too complex to canonicalise")
        return super().hash_n_degree_quads(id_, issuer)


def canonical(document: Mapping[str, Any]) -> str:
    """URDNA2015 N-Quads of a JSON-LD document, contexts from the bundle only; LdSignatureError otherwise."""
    loader = _Loader()
    options = {"documentLoader": loader, "contextResolver": ContextResolver({}, loader),
               "produceGeneralizedRdf": False, "base": ""}
    try:
        dataset = jsonld.to_rdf(dict(document), options)
    except jsonld.JsonLdError as exc:
        if loader.refused:
            raise LdSignatureError(f"unknown JSON-LD context {loader.refused[0][:200]!r}: only bundled contexts are used, "
                                   f"none is fetched") from None
        raise LdSignatureError(f"the document is not valid JSON-LD ({_first_message(exc)})") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise LdSignatureError(f"the document is not valid JSON-LD ({type(exc).__name__})") from None
    if sum(len(quads) for quads in dataset.values()) > MAX_QUADS:
        raise LdSignatureError(f"the document expands to more than {MAX_QUADS} statements")
    return _BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})


def _first_message(exc: BaseException) -> str:
    """The innermost cause's message of a pyld error (its outer messages are generic)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(getattr(exc, "message", None) or exc).splitlines()[0][:200]


def _hash(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


def signing_input(document: Mapping[str, Any], signature: LdSignature) -> bytes:
    """What the signature covers: sha256 hex of the canonical options, then of the document without signature."""
    options = {**signature.options, "@context": IDENTITY_CONTEXT}
    body = {key: value for key, value in document.items() if key != "signature"}
    return (_hash(options) + _hash(body)).encode("ascii")


def check(data: bytes, signature: LdSignature, public_key_pem: str) -> None:
    """LdSignatureError unless ``signature`` is an RSA-SHA256 signature of ``data`` by the PEM key."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise LdSignatureError("the creator's public key is not a readable PEM key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise LdSignatureError(f"{SIGNATURE_TYPE} needs an RSA key")
    try:
        key.verify(signature.value, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise LdSignatureError("the Linked Data signature does not verify") from None


async def verify(fed: Federation, document: Mapping[str, Any], *, moment: datetime | None = None,
                 unverified: bool = False) -> str:
    """The activity's actor, once its Linked Data signature is checked against that actor's own key.

    Everything that needs no network comes first (signature form, age, creator on the actor's host,
    canonicalisation with bundled contexts), so a stale, foreign or unknown-context signature is refused
    without a single outgoing request. ``unverified``: no signature of the request vouches for the
    author, so a key fetch takes one of the bounded slots (federation.remote.lookup_key).
    Raises LdSignatureError (KeyFetchError when the key cannot be had).
    """
    actor = id_of(document.get("actor"))
    if not actor:
        raise LdSignatureError("the activity names no actor")
    signature = signature_of(document)
    check_age(signature, moment)
    try:
        on_host = same_host(signature.creator, actor)
    except OriginError:
        on_host = False
    if not on_host:
        raise LdSignatureError("the Linked Data signature's creator is not on the actor's host")
    data = await asyncio.to_thread(signing_input, document, signature)
    key = await lookup_key(fed, signature.creator, unverified=unverified)
    if key.actor_uri != actor:
        raise LdSignatureError("the Linked Data signature's creator is not the activity's actor")
    check(data, signature, key.public_key_pem)
    return actor


async def forwardable(fed: Federation, document: Mapping[str, Any]) -> bool:
    """Whether members' servers can take this activity from the group verbatim: its author's LD signature verifies."""
    if not isinstance(document.get("signature"), dict):
        return False
    try:
        await verify(fed, document)
    except (LdSignatureError, KeyFetchError):
        return False
    return True
