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

_PAIR = re.compile(
    r'[ \t]*(?P<name>[A-Za-z0-9_.-]+)[ \t]*=[ \t]*(?:"(?P<quoted>[^"\\]*(?:\\.[^"\\]*)*)"|(?P<token>[^, \t"]+))[ \t]*(?:,|\Z)',
    re.DOTALL,
)
"""One ``name=value`` pair with the blanks around it and its comma (or the end)."""
_OPEN_QUOTE = re.compile(r'[ \t]*[A-Za-z0-9_.-]+[ \t]*=[ \t]*"[^"\\]*(?:\\.[^"\\]*)*\\?\Z', re.DOTALL)
"""A pair whose quoted value runs to the end of the header unclosed."""
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
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
    """Split ``name="value", name=token`` into pairs; raise SignatureError on bad syntax.

    One regular expression per pair: the header carries a ~350-character base64 signature, and
    reading it a character at a time was a fifth of an inbox POST's CPU (bench/RESULTS.md, issue 20.5).
    """
    out: list[tuple[str, str]] = []
    i, n = 0, len(value)
    while True:
        match = _PAIR.match(value, i)
        if match is None:
            if value[i:].strip(" \t") == "":
                return out
            if _OPEN_QUOTE.match(value, i):
                raise SignatureError("unterminated quoted value in Signature header")
            raise SignatureError("malformed Signature header")
        name, quoted, token = match.group("name", "quoted", "token")
        if quoted is None:
            out.append((name, token))
        else:
            out.append((name, _ESCAPED.sub(r"\1", quoted) if "\\" in quoted else quoted))
        i = match.end()
        if i >= n:
            return out


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

