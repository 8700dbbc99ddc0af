"""RFC 9421 HTTP Message Signatures: ``Signature-Input`` / ``Signature`` headers.

Parses every label of a request's signature headers, rebuilds the signature base for one label and
signs outgoing requests. Supported components: ``@method``, ``@target-uri``, ``@authority``,
``@scheme``, ``@path``, ``@query``, ``@request-target`` and plain header fields (``content-digest``
among them) without component parameters. Algorithms: ``rsa-v1_5-sha256`` and ``ed25519`` (inferred
from the key when ``alg`` is absent). Policy checks on received requests live in ``verify.py``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass

from federation.errors import SignatureError

from ._util import (
    authority_of,
    encode_message,
    format_http_date,
    normalize_headers,
    normalize_target_uri,
    path_and_query,
    request_target,
)
from .digest import content_digest_header
from .keys import load_private_key, sign_bytes
from .sfv import InnerList, Item, parse_dictionary, serialize_inner_list

SUPPORTED_ALGORITHMS = ("rsa-v1_5-sha256", "ed25519")
DERIVED_COMPONENTS = (
    "@method", "@target-uri", "@authority", "@scheme", "@path", "@query", "@request-target",
)  # fmt: skip
_PARAM_TYPES = {"created": int, "expires": int, "keyid": str, "alg": str, "nonce": str, "tag": str}


@dataclass(frozen=True)
class SignatureInput:
    """One label of a ``Signature-Input`` header: its covered components and parameters."""

    label: str
    items: tuple[Item, ...]
    params: tuple[tuple[str, object], ...]

    @property
    def components(self) -> tuple[str, ...]:
        """The covered component identifiers, in order."""
        return tuple(str(item.value) for item in self.items)

    def param(self, name: str) -> object | None:
        """Return a signature parameter (type-checked for the known ones), or None when absent."""
        for key, value in self.params:
            if key == name:
                wanted = _PARAM_TYPES.get(name)
                if wanted is not None and (type(value) is not wanted):
                    raise SignatureError(f"signature parameter {name} has the wrong type")
                return value
        return None

    @property
    def created(self) -> int | None:
        """The ``created`` parameter (UNIX time) or None."""
        return self.param("created")  # type: ignore[return-value]

    @property
    def expires(self) -> int | None:
        """The ``expires`` parameter (UNIX time) or None."""
        return self.param("expires")  # type: ignore[return-value]

    @property
    def keyid(self) -> str | None:
        """The ``keyid`` parameter or None."""
        return self.param("keyid")  # type: ignore[return-value]

    @property
    def alg(self) -> str | None:
        """The ``alg`` parameter or None."""
        return self.param("alg")  # type: ignore[return-value]

    def serialized(self) -> str:
        """The canonical serialization used as the ``@signature-params`` value."""
        return serialize_inner_list(InnerList(self.items, self.params))


def parse_signature_input(value: str) -> dict[str, SignatureInput]:
    """Parse a ``Signature-Input`` header into its labels, in order; malformed → SignatureError."""
    out = {}
    for label, member in parse_dictionary(value).items():
        if not isinstance(member, InnerList):
            raise SignatureError(f"Signature-Input {label} is not an inner list")
        for item in member.items:
            if type(item.value) is not str:
                raise SignatureError("Signature-Input components must be strings")
        out[label] = SignatureInput(label, member.items, member.params)
    return out


def parse_signature(value: str) -> dict[str, bytes]:
    """Parse a ``Signature`` header (RFC 9421) into label → signature bytes; malformed → SignatureError."""
    out = {}
    for label, member in parse_dictionary(value).items():
        if not isinstance(member, Item) or not isinstance(member.value, bytes) or not member.value:
            raise SignatureError(f"Signature {label} is not a byte sequence")
        out[label] = member.value
    return out


def component_value(name: str, *, method: str, target_uri: str, headers: Mapping[str, str]) -> str:
    """Return the value of one covered component; ``headers`` must have lower-case names."""
    if name == "@method":
        return method.upper()
    if name == "@target-uri":
        return normalize_target_uri(target_uri)
    if name == "@authority":
        return authority_of(target_uri)
    if name == "@scheme":
        return normalize_target_uri(target_uri).split(":", 1)[0]
    if name == "@path":
        return path_and_query(target_uri)[0]
    if name == "@query":
        return "?" + (path_and_query(target_uri)[1] or "")
    if name == "@request-target":
        return request_target(target_uri)
    if name.startswith("@"):
        raise SignatureError(f"unsupported derived component {name}")
    if name != name.lower() or not name:
        raise SignatureError("component names must be lower case")
    if name not in headers:
        raise SignatureError(f"{name} is signed but missing")
    return headers[name]


def signature_base(
    inp: SignatureInput, *, method: str, target_uri: str, headers: Mapping[str, str]
) -> str:
    """Build the signature base for one label (RFC 9421 section 2.5)."""
    h = normalize_headers(headers)
    names = inp.components
    if len(set(names)) != len(names):
        raise SignatureError("a component is covered twice")
    lines = []
    for item in inp.items:
        if item.params:
            raise SignatureError("component parameters are not supported")
        name = str(item.value)
        if name == "@signature-params":
            raise SignatureError("@signature-params cannot be covered")
        value = component_value(name, method=method, target_uri=target_uri, headers=h)
        if "\n" in value or "\r" in value:
            raise SignatureError(f"{name} contains a line break")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {inp.serialized()}')
    return "\n".join(lines)


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: float | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Return ``headers`` plus Host, Date, Content-Digest (for a body), Signature-Input and Signature."""
    key = load_private_key(private_key_pem)
    now = time.time() if now is None else now
    replaced = {"host", "date", "content-digest", "signature", "signature-input"}
    given = {k.lower(): v for k, v in headers.items()}
    out = {k: v for k, v in headers.items() if k.lower() not in replaced}
    out["Host"] = given.get("host") or authority_of(url)
    out["Date"] = format_http_date(now)
    components = ["@method", "@target-uri"]
    if body is not None:
        out["Content-Digest"] = content_digest_header(body)
        components.append("content-digest")
    inp = SignatureInput(
        label,
        tuple(Item(c) for c in components),
        (("created", int(now)), ("keyid", key_id)),
    )
    base = signature_base(inp, method=method, target_uri=url, headers=out)
    signature = base64.b64encode(sign_bytes(key, encode_message(base))).decode("ascii")
    out["Signature-Input"] = f"{label}={inp.serialized()}"
    out["Signature"] = f"{label}=:{signature}:"
    return out
