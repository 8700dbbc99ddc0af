"""draft-cavage-http-signatures-12, the ``Signature:`` header scheme as Mastodon speaks it.

Parsing (``parse_signature_header``), building the signing string (``signing_string``) and signing
outgoing requests (``sign``). Checking a received request's policy lives in ``verify.py``.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from federation.errors import SignatureError

from ._util import (
    authority_of,
    b64decode_strict,
    encode_message,
    format_http_date,
    normalize_headers,
    request_target,
)
from .digest import digest_header
from .keys import RSA_V1_5_SHA256, algorithm_of, load_private_key, sign_bytes

REQUEST_TARGET = "(request-target)"
CREATED = "(created)"
EXPIRES = "(expires)"
MAX_HEADER_LENGTH = 8192

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_TOKEN_STOP = set(", \t")
_INTEGER = re.compile(r"[0-9]{1,15}")
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")


@dataclass(frozen=True)
class CavageParams:
    """The parameters of a draft-cavage ``Signature`` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes = field(repr=False)
    created: int | None = None
    expires: float | None = None
    created_text: str | None = field(default=None, repr=False, compare=False)
    expires_text: str | None = field(default=None, repr=False, compare=False)


def _pairs(value: str) -> list[tuple[str, str]]:
    """Split ``name="value", name=token`` into pairs; raise SignatureError on bad syntax."""
    s, i, n, out = value, 0, len(value), []
    while True:
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            return out
        match = _NAME.match(s, i)
        if not match:
            raise SignatureError("malformed Signature header")
        name, i = match.group(0), match.end()
        while i < n and s[i] in " \t":
            i += 1
        if i >= n or s[i] != "=":
            raise SignatureError("malformed Signature header")
        i += 1
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] == '"':
            i += 1
            chars = []
            while i < n and s[i] != '"':
                if s[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(s[i])
                i += 1
            if i >= n:
                raise SignatureError("unterminated quoted value in Signature header")
            i += 1
            text = "".join(chars)
        else:
            start = i
            while i < n and s[i] not in _TOKEN_STOP:
                i += 1
            text = s[start:i]
            if not text or '"' in text:
                raise SignatureError("malformed Signature header")
        out.append((name, text))
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            return out
        if s[i] != ",":
            raise SignatureError("malformed Signature header")
        i += 1


def parse_signature_header(value: str) -> CavageParams:
    """Parse a draft-cavage ``Signature`` header value; any malformed input raises SignatureError."""
    if not isinstance(value, str):
        raise SignatureError("malformed Signature header")
    if len(value) > MAX_HEADER_LENGTH:
        raise SignatureError("Signature header is too long")
    params: dict[str, str] = {}
    for name, text in _pairs(value):
        name = name.lower()
        if name in params:
            raise SignatureError(f"duplicate parameter {name} in Signature header")
        params[name] = text
    key_id = params.get("keyid", "")
    if not key_id.strip() or not key_id.isprintable():
        raise SignatureError("keyId is missing from the Signature header")
    if not params.get("signature"):
        raise SignatureError("signature is missing from the Signature header")
    signature = b64decode_strict(params["signature"].strip(), "signature")
    if not signature:
        raise SignatureError("signature is empty")
    algorithm = params.get("algorithm", "hs2019").strip().lower()
    default_headers = CREATED if algorithm == "hs2019" else "date"
    names = tuple(params.get("headers", default_headers).lower().split())
    if not names:
        raise SignatureError("the Signature header signs no headers")
    created_text = params.get("created")
    expires_text = params.get("expires")
    if created_text is not None and not _INTEGER.fullmatch(created_text):
        raise SignatureError("created is not a UNIX timestamp")
    if expires_text is not None and not _DECIMAL.fullmatch(expires_text):
        raise SignatureError("expires is not a UNIX timestamp")
    return CavageParams(
        key_id=key_id.strip(),
        algorithm=algorithm,
        headers=names,
        signature=signature,
        created=int(created_text) if created_text is not None else None,
        expires=float(expires_text) if expires_text is not None else None,
        created_text=created_text,
        expires_text=expires_text,
    )


def signing_string(
    method: str,
    target: str,
    headers: Mapping[str, str],
    names: tuple[str, ...] | list[str],
    *,
    created: str | int | None = None,
    expires: str | float | None = None,
) -> str:
    """Build the string to sign: one ``name: value`` line per signed name (target is path+query)."""
    h = normalize_headers(headers)
    lines = []
    for name in names:
        name = name.lower()
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
        elif name in (CREATED, EXPIRES):
            value = created if name == CREATED else expires
            if value is None:
                raise SignatureError(f"{name} is signed but has no value")
            lines.append(f"{name}: {value}")
        elif name in h:
            if "\n" in h[name] or "\r" in h[name]:
                raise SignatureError(f"{name} contains a line break")
            lines.append(f"{name}: {h[name]}")
        else:
            raise SignatureError(f"{name} is signed but missing")
    return "\n".join(lines)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: float | None = None,
) -> dict[str, str]:
    """Return ``headers`` plus Host, Date, Digest (for a body) and Signature for an outgoing request."""
    key = load_private_key(private_key_pem)
    replaced = {"host", "date", "digest", "signature"}
    given = {k.lower(): v for k, v in headers.items()}
    out = {k: v for k, v in headers.items() if k.lower() not in replaced}
    out["Host"] = given.get("host") or authority_of(url)
    out["Date"] = format_http_date(time.time() if now is None else now)
    names = [REQUEST_TARGET, "host", "date"]
    if body is not None:
        out["Digest"] = digest_header(body)
        names.append("digest")
    text = signing_string(method, request_target(url), out, names)
    signature = base64.b64encode(sign_bytes(key, encode_message(text))).decode("ascii")
    algorithm = "rsa-sha256" if algorithm_of(key) == RSA_V1_5_SHA256 else "hs2019"
    out["Signature"] = ",".join(
        [
            f"keyId={_quote(key_id)}",
            f"algorithm={_quote(algorithm)}",
            f"headers={_quote(' '.join(names))}",
            f"signature={_quote(signature)}",
        ]
    )
    return out

