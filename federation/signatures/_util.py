"""Small helpers shared by the signature modules: header maps, hosts, target URIs, HTTP dates, base64.

Everything here is pure and raises only ``SignatureError`` for bad input.
"""

from __future__ import annotations

import binascii
import email.utils
from collections.abc import Mapping
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

from federation.errors import SignatureError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """Return a dict with lower-case names; repeated fields are joined with ", " and values trimmed."""
    if hasattr(headers, "multi_items"):  # starlette / httpx Headers keep repeated fields
        items = headers.multi_items()
    else:
        items = headers.items()
    out: dict[str, str] = {}
    for name, value in items:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        key = str(name).strip().lower()
        text = str(value).strip()
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def encode_message(text: str) -> bytes:
    """Encode a signing string as sent on the wire (latin-1 round-trips ASGI headers; else UTF-8)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def normalize_host(value: str) -> str:
    """Lower-case a host[:port] value and drop a trailing dot of the host name."""
    value = value.strip().lower()
    if value.startswith("["):  # IPv6 literal, keep as is
        return value
    host, sep, port = value.partition(":")
    return host.rstrip(".") + sep + port


def _split(url: str):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SignatureError("target URI is not valid") from exc
    if not parts.scheme or not parts.hostname:
        raise SignatureError("target URI is not absolute")
    return parts, port


def authority_of(url: str) -> str:
    """Return the RFC 9421 ``@authority`` of an absolute URL: lower-case host, default port dropped."""
    parts, port = _split(url)
    host = parts.hostname.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise SignatureError("target URI host is not valid") from exc
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


def path_and_query(url: str) -> tuple[str, str | None]:
    """Return the path (``/`` when empty) and the query (None when absent) of a URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SignatureError("target URI is not valid") from exc
    query = parts.query if (parts.query or url.endswith("?")) else None
    return parts.path or "/", query


def request_target(url: str) -> str:
    """Return path plus ``?query`` of a URL, as used by ``(request-target)``."""
    path, query = path_and_query(url)
    return path if query is None else f"{path}?{query}"


def normalize_target_uri(url: str) -> str:
    """Rebuild an absolute URL as scheme://authority/path?query with scheme and host lower-cased."""
    parts, _ = _split(url)
    return f"{parts.scheme.lower()}://{authority_of(url)}{request_target(url)}"


def format_http_date(timestamp: float) -> str:
    """Format a UNIX time as an RFC 7231 IMF-fixdate (``Tue, 20 Apr 2021 02:07:55 GMT``)."""
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value: str) -> float:
    """Parse an HTTP Date header into a UNIX time; raise SignatureError when it is not a date."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    except Exception as exc:  # the stdlib parser raises a zoo of types on junk
        raise SignatureError("Date header is not a valid HTTP date") from exc


def b64decode_strict(value: str | bytes, what: str) -> bytes:
    """Decode standard base64 strictly; raise SignatureError naming ``what`` on bad input."""
    try:
        if isinstance(value, str):
            value = value.encode("ascii")
        return binascii.a2b_base64(value, strict_mode=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise SignatureError(f"{what} is not valid base64") from exc
