"""Body digests for signed requests: the legacy ``Digest`` header (RFC 3230) and ``Content-Digest`` (RFC 9530).

``Digest: SHA-256=<base64>`` goes with draft-cavage signatures, ``Content-Digest: sha-256=:<base64>:``
with RFC 9421 ones. The checks compare against the raw bytes received and raise ``SignatureError``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from federation.errors import SignatureError

from ._util import normalize_headers
from .sfv import Item, parse_dictionary

_CONTENT_DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    """Return the ``Digest`` header value for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """Return the ``Content-Digest`` header value for a body: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_digest_header(value: str, body: bytes) -> None:
    """Check a ``Digest`` header (possibly listing several algorithms); its SHA-256 must match."""
    offered = {}
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if sep:
            offered.setdefault(name.strip().lower(), encoded.strip())
    if "sha-256" not in offered:
        raise SignatureError("Digest has no SHA-256 value")
    try:
        given = base64.b64decode(offered["sha-256"], validate=True)
    except ValueError:
        given = b""
    if not hmac.compare_digest(given, hashlib.sha256(body).digest()):
        raise SignatureError("Digest does not match the body")


def check_content_digest(value: str, body: bytes) -> None:
    """Check a ``Content-Digest`` header; every sha-256 / sha-512 value it offers must match."""
    members = parse_dictionary(value)
    checked = False
    for name, hasher in _CONTENT_DIGEST_ALGORITHMS.items():
        member = members.get(name)
        if member is None:
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise SignatureError("Content-Digest value is not a byte sequence")
        if not hmac.compare_digest(member.value, hasher(body).digest()):
            raise SignatureError("Content-Digest does not match the body")
        checked = True
    if not checked:
        raise SignatureError("Content-Digest has no sha-256 or sha-512 value")


def check_digest(headers: Mapping[str, str], body: bytes | None) -> None:
    """Check whichever of ``Digest`` / ``Content-Digest`` is present (at least one must be)."""
    h = normalize_headers(headers)
    body = body or b""
    if "digest" not in h and "content-digest" not in h:
        raise SignatureError("Digest header is missing")
    if "digest" in h:
        check_digest_header(h["digest"], body)
    if "content-digest" in h:
        check_content_digest(h["content-digest"], body)
