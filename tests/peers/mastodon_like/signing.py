"""HTTP signatures for the peer, written against `cryptography` alone.

Draft-cavage (what Mastodon signs and verifies) and just enough RFC 9421
(rsa-v1_5-sha256 over listed components) to answer a sender that uses it.
Nothing here touches the network: key lookup is the caller's job.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import httpx
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

ACTIVITY_JSON = "application/activity+json"
FETCH_ACCEPT = "application/activity+json, application/ld+json"
MAX_SKEW = 3600  # seconds either side of now, for Date and `created`
CAVAGE_POST_HEADERS = ("(request-target)", "host", "date", "digest")
CAVAGE_GET_HEADERS = ("(request-target)", "host", "date", "accept")


class SignatureError(Exception):
    """A signature that must be refused; str(exc) is the recorded reason."""


def generate_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key, as Mastodon creates for every account."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """SubjectPublicKeyInfo PEM of the public half."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public(pem: str) -> rsa.RSAPublicKey:
    """Parse an RSA public key PEM (SPKI or PKCS#1), or raise SignatureError."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"unparsable public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("public key is not RSA")
    return key


def http_date(ts: float | None = None) -> str:
    """Date header value in IMF-fixdate form."""
    return formatdate(ts if ts is not None else time.time(), usegmt=True)


def digest_header(body: bytes) -> str:
    """Legacy Digest header: SHA-256=base64."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    """RFC 9530 Content-Digest: sha-256=:base64:."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _rsa_sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    """Base64 RSASSA-PKCS1-v1_5 SHA-256 signature."""
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def _rsa_verify(key: rsa.RSAPublicKey, signature_b64: str, data: bytes) -> bool:
    """Check an RSASSA-PKCS1-v1_5 SHA-256 signature."""
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def _target(url: str) -> tuple[str, str]:
    """(Host header value, request-target path?query) exactly as httpx will send them."""
    u = httpx.URL(url)
    return u.netloc.decode("ascii"), u.raw_path.decode("ascii")


# ---------------------------------------------------------------- draft-cavage


def sign_cavage(
    method: str,
    url: str,
    key_id: str,
    key: rsa.RSAPrivateKey,
    body: bytes | None = None,
    *,
    date: str | None = None,
    accept: str = FETCH_ACCEPT,
    content_type: str = ACTIVITY_JSON,
) -> dict[str, str]:
    """Headers for a Mastodon-style signed request (POST signs digest, GET signs accept)."""
    host, target = _target(url)
    headers = {"Host": host, "Date": date or http_date()}
    if method.upper() == "GET":
        headers["Accept"] = accept
        names = CAVAGE_GET_HEADERS
    else:
        headers["Digest"] = digest_header(body or b"")
        headers["Content-Type"] = content_type
        names = CAVAGE_POST_HEADERS
    lookup = {k.lower(): v for k, v in headers.items()}
    lines = [
        f"(request-target): {method.lower()} {target}" if n == "(request-target)" else f"{n}: {lookup[n]}"
        for n in names
    ]
    signature = _rsa_sign(key, "\n".join(lines).encode())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{signature}"'
    )
    return headers


@dataclass
class CavageSignature:
    """A parsed draft-cavage Signature header."""

    key_id: str
    signature: str
    headers: list[str]
    algorithm: str | None
    params: dict[str, str] = field(default_factory=dict)


def parse_cavage(value: str) -> CavageSignature:
    """Parse `keyId="…",algorithm="…",headers="…",signature="…"`."""
    params = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
              for m in re.finditer(r'([A-Za-z]+)=(?:"([^"]*)"|([^,\s]*))', value)}
    if not params.get("keyId") or not params.get("signature"):
        raise SignatureError("Signature header lacks keyId or signature")
    return CavageSignature(
        key_id=params["keyId"],
        signature=params["signature"],
        headers=(params.get("headers") or "date").lower().split(),
        algorithm=params.get("algorithm"),
        params=params,
    )


@dataclass
class IncomingRequest:
    """What a verifier needs to know about a received request."""

    method: str
    scheme: str
    path: str  # raw path, no query
    query: str  # raw query, no '?'
    header: Callable[[str], str | None]  # case-insensitive, repeated values joined by ", "
    body: bytes

    @property
    def request_target(self) -> str:
        """path?query as sent on the request line."""
        return self.path + (f"?{self.query}" if self.query else "")


def check_date(value: str | None, now: float | None = None) -> None:
    """Refuse a missing, malformed or more than an hour off Date."""
    if not value:
        raise SignatureError("missing Date header")
    try:
        ts = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError) as exc:
        raise SignatureError(f"malformed Date header: {value!r}") from exc
    skew = ts - (now if now is not None else time.time())
    if abs(skew) > MAX_SKEW:
        raise SignatureError(f"Date {value!r} is {int(skew)}s off")


def check_digest(value: str | None, body: bytes) -> None:
    """Refuse a Digest header whose SHA-256 does not match the raw body."""
    if not value:
        raise SignatureError("missing Digest header")
    for part in value.split(","):
        algo, _, b64 = part.strip().partition("=")
        if algo.lower() == "sha-256":
            if b64 != base64.b64encode(hashlib.sha256(body).digest()).decode():
                raise SignatureError("Digest does not match body")
            return
    raise SignatureError("Digest has no SHA-256 value")


def cavage_precheck(req: IncomingRequest, sig: CavageSignature) -> None:
    """Checks that need no key: algorithm, required headers, Date, Digest."""
    if sig.algorithm and sig.algorithm.lower() not in ("rsa-sha256", "hs2019"):
        raise SignatureError(f"unsupported algorithm {sig.algorithm!r}")
    required = ["(request-target)", "host", "date"]
    if req.method.upper() != "GET" or req.body:
        required.append("digest")
    missing = [h for h in required if h not in sig.headers]
    if missing:
        raise SignatureError(f"signed headers miss {' '.join(missing)}")
    check_date(req.header("date"))
    if "digest" in required:
        check_digest(req.header("digest"), req.body)


def cavage_signing_string(req: IncomingRequest, sig: CavageSignature) -> bytes:
    """The string the sender must have signed, from the listed headers."""
    lines = []
    for name in sig.headers:
        if name == "(request-target)":
            lines.append(f"(request-target): {req.method.lower()} {req.request_target}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {sig.params.get(name[1:-1], '')}")
        else:
            value = req.header(name)
            if value is None:
                raise SignatureError(f"signed header {name!r} absent")
            lines.append(f"{name}: {value}")
    return "\n".join(lines).encode()


def verify_cavage(req: IncomingRequest, sig: CavageSignature, public_key_pem: str) -> bool:
    """True if the signature verifies under the PEM key."""
    return _rsa_verify(load_public(public_key_pem), sig.signature, cavage_signing_string(req, sig))


# ---------------------------------------------------------------- RFC 9421


def sign_rfc9421(
    method: str,
    url: str,
    key_id: str,
    key: rsa.RSAPrivateKey,
    body: bytes | None = None,
    *,
    created: int | None = None,
    content_type: str = ACTIVITY_JSON,
    accept: str = FETCH_ACCEPT,
) -> dict[str, str]:
    """Headers for an RFC 9421 rsa-v1_5-sha256 signature labelled sig1."""
    host, _ = _target(url)
    headers = {"Host": host}
    components = ["@method", "@target-uri"]
    if method.upper() == "GET":
        headers["Accept"] = accept
    else:
        headers["Content-Type"] = content_type
        headers["Content-Digest"] = content_digest_header(body or b"")
        components += ["content-type", "content-digest"]
    created = created if created is not None else int(time.time())
    params = "(" + " ".join(f'"{c}"' for c in components) + ")"
    params += f';created={created};keyid="{key_id}";alg="rsa-v1_5-sha256"'
    values = {"@method": method.upper(), "@target-uri": str(httpx.URL(url).copy_with(fragment=None))}
    values.update({k.lower(): v for k, v in headers.items()})
    base = "".join(f'"{c}": {values[c]}\n' for c in components) + f'"@signature-params": {params}'
    headers["Signature-Input"] = f"sig1={params}"
    headers["Signature"] = f"sig1=:{_rsa_sign(key, base.encode())}:"
    return headers


def _split_members(value: str) -> dict[str, str]:
    """Split a structured-field dictionary at top-level commas: label -> raw member."""
    members, depth, quoted, start = {}, 0, False, 0
    for i, ch in enumerate(value + ","):
        if ch == '"' and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            label, _, raw = value[start:i].strip().partition("=")
            if label:
                members[label] = raw
            start = i + 1
    return members


@dataclass
class Rfc9421Signature:
    """One parsed RFC 9421 signature (the first label of Signature-Input)."""

    label: str
    components: list[str]
    params: dict[str, str | int]
    raw_params: str
    signature: str

    @property
    def key_id(self) -> str:
        """The keyid parameter."""
        return str(self.params.get("keyid", ""))


def parse_rfc9421(signature_input: str, signature: str | None) -> Rfc9421Signature:
    """Parse Signature-Input and the matching Signature member."""
    inputs = _split_members(signature_input)
    if not inputs:
        raise SignatureError("empty Signature-Input")
    label, raw = next(iter(inputs.items()))
    m = re.fullmatch(r"\((.*?)\)(.*)", raw.strip())
    if not m:
        raise SignatureError("malformed Signature-Input")
    components = re.findall(r'"([^"]+)"', m.group(1))
    params: dict[str, str | int] = {}
    for p in m.group(2).split(";")[1:]:
        k, _, v = p.partition("=")
        params[k.strip()] = v.strip('"') if v.startswith('"') else int(v) if v.lstrip("-").isdigit() else v
    sigs = _split_members(signature or "")
    sig_value = sigs.get(label, "")
    if not (sig_value.startswith(":") and sig_value.endswith(":") and len(sig_value) > 2):
        raise SignatureError(f"no Signature member for label {label!r}")
    if not params.get("keyid"):
        raise SignatureError("Signature-Input lacks keyid")
    return Rfc9421Signature(label, components, params, raw.strip(), sig_value[1:-1])


def rfc9421_precheck(req: IncomingRequest, sig: Rfc9421Signature) -> None:
    """Checks that need no key: alg, coverage, created/expires, Content-Digest."""
    alg = sig.params.get("alg", "rsa-v1_5-sha256")
    if alg != "rsa-v1_5-sha256":
        raise SignatureError(f"unsupported alg {alg!r}")
    covered = set(sig.components)
    if "@method" not in covered or not ("@target-uri" in covered or {"@authority", "@path"} <= covered):
        raise SignatureError("signature does not cover @method and the target")
    created = sig.params.get("created")
    if not isinstance(created, int):
        raise SignatureError("missing created")
    if abs(created - time.time()) > MAX_SKEW:
        raise SignatureError(f"created {created} is out of window")
    expires = sig.params.get("expires")
    if isinstance(expires, int) and expires < time.time():
        raise SignatureError("signature expired")
    if req.body or req.method.upper() != "GET":
        if "content-digest" not in covered:
            raise SignatureError("content-digest not covered")
        digest = req.header("content-digest") or ""
        m = re.search(r"sha-256=:([^:]*):", digest)
        if not m or m.group(1) != base64.b64encode(hashlib.sha256(req.body).digest()).decode():
            raise SignatureError("Content-Digest does not match body")


def rfc9421_base(req: IncomingRequest, sig: Rfc9421Signature, authority: str) -> bytes:
    """The signature base the sender must have signed."""
    derived = {
        "@method": req.method.upper(),
        "@target-uri": f"{req.scheme}://{authority}{req.request_target}",
        "@authority": authority.lower(),
        "@scheme": req.scheme,
        "@path": req.path,
        "@query": f"?{req.query}",
        "@request-target": req.request_target,
    }
    lines = []
    for comp in sig.components:
        if comp.startswith("@"):
            if comp not in derived:
                raise SignatureError(f"unsupported component {comp!r}")
            value = derived[comp]
        else:
            value = req.header(comp)
            if value is None:
                raise SignatureError(f"covered header {comp!r} absent")
        lines.append(f'"{comp}": {value.strip()}')
    lines.append(f'"@signature-params": {sig.raw_params}')
    return "\n".join(lines).encode()


def verify_rfc9421(req: IncomingRequest, sig: Rfc9421Signature, authority: str, public_key_pem: str) -> bool:
    """True if the RFC 9421 signature verifies under the PEM key."""
    return _rsa_verify(load_public(public_key_pem), sig.signature, rfc9421_base(req, sig, authority))


# ---------------------------------------------------------------- FEP-8b32 (as Mitra signs its objects)

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(data: bytes) -> str:
    """Multibase base58btc ('z' + Bitcoin base58) of ``data``."""
    value, digits = int.from_bytes(data, "big"), ""
    while value > 0:
        value, digit = divmod(value, 58)
        digits = _B58[digit] + digits
    return "z" + "1" * (len(data) - len(data.lstrip(b"\x00"))) + digits


def ed25519_multikey(key: ed25519.Ed25519PrivateKey) -> str:
    """publicKeyMultibase of the key: multicodec ed25519-pub (0xed 0x01) + the 32 raw bytes."""
    return _base58btc(b"\xed\x01" + key.public_key().public_bytes_raw())


def prove(document: dict[str, Any], key_id: str, key: ed25519.Ed25519PrivateKey, created: str) -> dict[str, Any]:
    """``document`` with an eddsa-jcs-2022 DataIntegrityProof (W3C vc-di-eddsa 3.3), JCS by the rfc8785 package."""
    config = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "verificationMethod": key_id,
              "proofPurpose": "assertionMethod", "created": created}
    if "@context" in document:
        config["@context"] = document["@context"]
    hashed = hashlib.sha256(rfc8785.dumps(config)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()
    return {**document, "proof": {**config, "proofValue": _base58btc(key.sign(hashed))}}
