"""Inbound HTTP signature checks: the one entry point for the inbox and authorized fetch.

``inspect_request`` checks everything that needs no key — scheme and algorithm, covered components,
time window, signed host, body digest — and returns a ``SignatureClaim`` naming the key. The caller
fetches that key (by ``claim.key_id``) and calls ``verify_claim``. RFC 9421 is used when
``Signature-Input`` is present, else draft-cavage (``Signature`` or ``Authorization: Signature``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.errors import SignatureError

from ._util import authority_of, encode_message, normalize_headers, normalize_host, parse_http_date
from .cavage import CREATED, EXPIRES, REQUEST_TARGET, parse_signature_header, signing_string
from .digest import check_content_digest, check_digest_header
from .keys import RSA_V1_5_SHA256, load_public_key, verify_bytes
from .rfc9421 import SUPPORTED_ALGORITHMS, SignatureInput, parse_signature, parse_signature_input
from .rfc9421 import signature_base

MAX_AGE = 65 * 60  # a signed date may be this old (Mastodon: 5 min validity + 1 h clock skew)
MAX_FUTURE = 60 * 60  # ... and this far in the future
CAVAGE_ALGORITHMS = {"rsa-sha256": RSA_V1_5_SHA256, "hs2019": None}  # None: by key type
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
NO_BODY_METHODS = frozenset({"GET", "HEAD"})
_PATH_COMPONENTS = frozenset({"@target-uri", "@path", "@request-target"})
_HOST_COMPONENTS = frozenset({"@target-uri", "@authority"})


@dataclass(frozen=True)
class SignatureClaim:
    """A request's signature, checked for everything but the key: what to verify and with whose key."""

    scheme: str  # "cavage" or "rfc9421"
    key_id: str
    algorithm: str | None  # as declared; None when an RFC 9421 signature names no alg
    covered: tuple[str, ...]
    created: float  # the signed creation time: (created) / created, else the signed Date
    expires: float | None
    label: str | None  # RFC 9421 label, None for cavage
    signature: bytes = field(repr=False)
    messages: tuple[bytes, ...] = field(repr=False)  # signed bytes; extra entries are legacy variants


@dataclass(frozen=True)
class VerifiedSignature:
    """Proof that a request was signed by the key named ``key_id``."""

    key_id: str
    scheme: str


def inspect_request(
    method: str,
    target_uri: str,
    path_with_query: str,
    headers: Mapping[str, str] | Any,
    body: bytes | None,
    *,
    expected_host: str,
    now: float | None = None,
) -> SignatureClaim:
    """Check a received request's signature without its key; raise SignatureError when unacceptable.

    ``target_uri`` is the absolute URI on this server (built from the configured public host),
    ``path_with_query`` the raw path plus ``?query``, ``body`` the raw bytes received.
    """
    now = time.time() if now is None else now
    h = normalize_headers(headers)
    method = method.upper()
    if "signature-input" in h:
        return _inspect_rfc9421(method, target_uri, h, body, expected_host, now)
    value = h.get("signature")
    if value is None:
        scheme, _, rest = h.get("authorization", "").partition(" ")
        if scheme.lower() == "signature" and rest.strip():
            value = rest
    if value is None:
        raise SignatureError("request is not signed")
    return _inspect_cavage(method, path_with_query, h, body, expected_host, now, value)


def verify_claim(claim: SignatureClaim, public_key_pem: str) -> VerifiedSignature:
    """Verify a claim with the signer's PEM public key; raise SignatureError("signature does not verify")."""
    key = load_public_key(public_key_pem)
    algorithm = CAVAGE_ALGORITHMS.get(claim.algorithm) if claim.scheme == "cavage" else claim.algorithm
    for message in claim.messages:
        if verify_bytes(key, algorithm, claim.signature, message):
            return VerifiedSignature(key_id=claim.key_id, scheme=claim.scheme)
    raise SignatureError("signature does not verify")


def _check_window(times: list[float], expires: float | None, now: float) -> None:
    for signed_at in times:
        if not now - MAX_AGE <= signed_at <= now + MAX_FUTURE:
            raise SignatureError("Date outside the accepted window")
    if expires is not None and expires < now:
        raise SignatureError("signature has expired")


def _check_host(signed: str, expected_host: str) -> None:
    if normalize_host(signed) != normalize_host(expected_host):
        raise SignatureError("signed host is not this server")


def _check_coverage(method: str, host: bool, digest: bool, path: bool, names: tuple[str, str]) -> None:
    if method in NO_BODY_METHODS and not host:
        raise SignatureError(f"{names[0]} is not signed")
    if method in BODY_METHODS and not digest:
        raise SignatureError(f"{names[1]} is not signed")
    if not (digest or path):
        raise SignatureError("the request target is not signed")


def _inspect_cavage(
    method: str, path_with_query: str, h: dict, body: bytes | None, expected_host: str, now: float, value: str
) -> SignatureClaim:
    params = parse_signature_header(value)
    if params.algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError("unsupported signature algorithm")
    names = params.headers
    if params.algorithm != "hs2019" and (CREATED in names or EXPIRES in names):
        raise SignatureError("(created) and (expires) need algorithm hs2019")
    times: list[float] = []
    if CREATED in names:
        if params.created is None:
            raise SignatureError("(created) is signed but has no value")
        times.append(float(params.created))
    if "date" in names:
        if "date" not in h:
            raise SignatureError("date is signed but missing")
        times.append(parse_http_date(h["date"]))
    if not times:
        raise SignatureError("Date is not signed")
    if EXPIRES in names and params.expires is None:
        raise SignatureError("(expires) is signed but has no value")
    _check_window(times, params.expires, now)
    _check_coverage(
        method, "host" in names, "digest" in names, REQUEST_TARGET in names, ("host", "digest")
    )
    if "digest" in names:
        if "digest" not in h:
            raise SignatureError("Digest header is missing")
        check_digest_header(h["digest"], body or b"")
    if "host" in names:
        if "host" not in h:
            raise SignatureError("host is signed but missing")
        _check_host(h["host"], expected_host)
    targets = [path_with_query]
    if "?" in path_with_query and REQUEST_TARGET in names:
        targets.append(path_with_query.split("?", 1)[0])  # older Mastodon left the query out
    messages = tuple(
        encode_message(
            signing_string(
                method, t, h, names, created=params.created_text, expires=params.expires_text
            )
        )
        for t in targets
    )
    return SignatureClaim(
        scheme="cavage",
        key_id=params.key_id,
        algorithm=params.algorithm,
        covered=names,
        created=times[0],
        expires=params.expires,
        label=None,
        signature=params.signature,
        messages=messages,
    )


def _inspect_rfc9421(
    method: str, target_uri: str, h: dict, body: bytes | None, expected_host: str, now: float
) -> SignatureClaim:
    inputs = parse_signature_input(h["signature-input"])
    if "signature" not in h:
        raise SignatureError("Signature header is missing")
    signatures = parse_signature(h["signature"])
    first_error: SignatureError | None = None
    for inp in inputs.values():
        try:
            return _claim_for_label(inp, signatures, method, target_uri, h, body, expected_host, now)
        except SignatureError as exc:
            first_error = first_error or exc
    raise first_error or SignatureError("request is not signed")


def _claim_for_label(
    inp: SignatureInput,
    signatures: dict[str, bytes],
    method: str,
    target_uri: str,
    h: dict,
    body: bytes | None,
    expected_host: str,
    now: float,
) -> SignatureClaim:
    if inp.label not in signatures:
        raise SignatureError(f"no signature for label {inp.label}")
    key_id = inp.keyid
    if not key_id:
        raise SignatureError("keyid is missing")
    if inp.alg is not None and inp.alg not in SUPPORTED_ALGORITHMS:
        raise SignatureError("unsupported signature algorithm")
    covered = inp.components
    times: list[float] = []
    if inp.created is not None:
        times.append(float(inp.created))
    if "date" in covered:
        if "date" not in h:
            raise SignatureError("date is signed but missing")
        times.append(parse_http_date(h["date"]))
    if not times:
        raise SignatureError("neither created nor Date is signed")
    expires = inp.expires
    _check_window(times, None if expires is None else float(expires), now)
    has_host = bool(_HOST_COMPONENTS & set(covered))
    has_path = bool(_PATH_COMPONENTS & set(covered))
    has_digest = "content-digest" in covered
    _check_coverage(method, has_host, has_digest, has_path, ("@authority", "content-digest"))
    if has_digest:
        if "content-digest" not in h:
            raise SignatureError("Content-Digest header is missing")
        check_content_digest(h["content-digest"], body or b"")
    if has_host:
        _check_host(authority_of(target_uri), expected_host)
    if "host" in covered and "host" in h:
        _check_host(h["host"], expected_host)
    base = signature_base(inp, method=method, target_uri=target_uri, headers=h)
    return SignatureClaim(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=inp.alg,
        covered=covered,
        created=times[0],
        expires=None if expires is None else float(expires),
        label=inp.label,
        signature=signatures[inp.label],
        messages=(encode_message(base),),
    )
