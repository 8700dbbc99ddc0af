"""Tests for the inbound entry point: inspect_request policy checks and verify_claim."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.datastructures import Headers

from federation.errors import SignatureError
from federation.signatures import load_private_key, parse_signature_input, sign_cavage, sign_rfc9421, signature_base
from federation.signatures.digest import content_digest_header, digest_header
from federation.signatures.verify import inspect_request, verify_claim
from federation.signatures._util import format_http_date

from .fixtures import BODY, HOST, INBOX, KEY_ID, NOW, OTHER_PRIVATE_PEM, OTHER_PUBLIC_PEM, PRIVATE_PEM, PUBLIC_PEM

INBOX_PATH = "/groups/climate/inbox"
MASTO_SIGNED_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")


def _rsa_sign(text: str, pem: str = PRIVATE_PEM) -> str:
    raw = load_private_key(pem).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def cavage(
    names=MASTO_SIGNED_HEADERS, *, method="POST", path=INBOX_PATH, body=BODY, date=NOW, algorithm="rsa-sha256",
    pem=PRIVATE_PEM, extra="", created=None, expires=None, **overrides,
):  # fmt: skip
    """Build request headers signed by hand, the way Mastodon does, independent of cavage.sign."""
    headers = {
        "Host": HOST,
        "Date": format_http_date(date),
        "Digest": digest_header(body),
        "Content-Type": "application/activity+json",
        "Accept": "application/activity+json",
    }
    headers.update(overrides)
    lookup = {k.lower(): v for k, v in headers.items()}
    pseudo = {"(created)": created, "(expires)": expires}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in pseudo:
            lines.append(f"{name}: {pseudo[name]}")
        else:
            lines.append(f"{name}: {lookup[name]}")
    params = f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(names)}"'
    if created is not None:
        params += f",created={created}"
    if expires is not None:
        params += f",expires={expires}"
    headers["Signature"] = params + f',signature="{_rsa_sign(chr(10).join(lines), pem)}"' + extra
    return headers


def inspect(headers, *, method="POST", path=INBOX_PATH, body=BODY, now=NOW, host=HOST):
    """Run inspect_request for a request to this hub."""
    return inspect_request(method, f"https://{HOST}{path}", path, headers, body, expected_host=host, now=now)


def rfc9421(covered, params=None, *, method="POST", path=INBOX_PATH, body=BODY, uri_host=HOST, **extra):
    """Build RFC 9421 headers for the given covered components and parameters."""
    params = f";created={int(NOW)};keyid=\"{KEY_ID}\"" if params is None else params
    headers = {"Host": uri_host, "Content-Digest": content_digest_header(body), **extra}
    inp = parse_signature_input(f"sig1=({covered}){params}")["sig1"]
    base = signature_base(inp, method=method, target_uri=f"https://{uri_host}{path}", headers=headers)
    headers["Signature-Input"] = f"sig1={inp.serialized()}"
    headers["Signature"] = f"sig1=:{_rsa_sign(base)}:"
    return headers


# --- accepted requests -------------------------------------------------------------------------


def test_mastodon_shaped_post_verifies():
    """A POST signed exactly like Mastodon's (incl. content-type) passes and verifies with the fixed key."""
    claim = inspect(cavage())
    assert (claim.scheme, claim.key_id, claim.algorithm) == ("cavage", KEY_ID, "rsa-sha256")
    assert claim.covered == MASTO_SIGNED_HEADERS and claim.created == NOW and claim.label is None
    assert verify_claim(claim, PUBLIC_PEM) == verify_claim(claim, PUBLIC_PEM.strip())
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_mastodon_shaped_authorized_fetch_get_verifies():
    """A signed GET like Mastodon's authorized fetch (accept signed, no digest) passes."""
    names = ("(request-target)", "host", "date", "accept")
    claim = inspect(cavage(names, method="GET", path="/groups/climate"), method="GET", path="/groups/climate", body=None)
    assert verify_claim(claim, PUBLIC_PEM).scheme == "cavage"


def test_starlette_headers_and_host_case_are_accepted():
    """Starlette Headers work as input, and the Host comparison ignores case."""
    raw = [(k.lower().encode(), v.encode()) for k, v in cavage(Host="HUB.Example").items()]
    claim = inspect(Headers(raw=raw))
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_authorization_signature_header_is_accepted():
    """``Authorization: Signature <params>`` is read like a Signature header."""
    headers = cavage()
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert verify_claim(inspect(headers), PUBLIC_PEM).key_id == KEY_ID


def test_hs2019_with_created_and_expires():
    """hs2019 may sign (created)/(expires) instead of Date."""
    names = ("(request-target)", "host", "(created)", "(expires)", "digest")
    claim = inspect(cavage(names, algorithm="hs2019", created=int(NOW) - 10, expires=int(NOW) + 300))
    assert claim.created == NOW - 10 and claim.expires == NOW + 300
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_legacy_signature_without_query_string_is_accepted():
    """Older Mastodon signed (request-target) without the query; that still verifies."""
    names = ("(request-target)", "host", "date")
    headers = cavage(names, method="GET", path="/groups/climate/outbox")
    claim = inspect(headers, method="GET", path="/groups/climate/outbox?page=true", body=None)
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


@pytest.mark.parametrize("offset", [-64 * 60, 59 * 60])
def test_dates_inside_the_window_pass(offset):
    """Dates 64 minutes old or 59 minutes ahead are accepted."""
    assert inspect(cavage(date=NOW + offset)).created == NOW + offset


def test_rfc9421_round_trip_with_rfc9421_precedence():
    """With Signature-Input present the RFC 9421 scheme is used and verifies."""
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, PRIVATE_PEM, now=NOW)
    claim = inspect(headers)
    assert claim.scheme == "rfc9421" and claim.label == "sig1"
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_cavage_sign_round_trip():
    """cavage.sign output passes inspect_request and verify_claim."""
    headers = sign_cavage("POST", INBOX, {}, BODY, KEY_ID, PRIVATE_PEM, now=NOW)
    assert verify_claim(inspect(headers), PUBLIC_PEM).scheme == "cavage"


# --- refused draft-cavage requests ----------------------------------------------------------


@pytest.mark.parametrize(
    "build, kwargs, reason",
    [
        (lambda: cavage(), {"body": BODY + b" "}, "Digest does not match the body"),
        (lambda: cavage(Digest="SHA-256=" + "A" * 43 + "="), {}, "Digest does not match the body"),
        (lambda: cavage(("(request-target)", "host", "date")), {}, "digest is not signed"),
        (lambda: {k: v for k, v in cavage().items() if k != "Digest"}, {}, "Digest header is missing"),
        (lambda: cavage(("(request-target)", "host", "digest")), {}, "Date is not signed"),
        (
            lambda: cavage(("(request-target)", "date"), method="GET"),
            {"method": "GET", "body": None},
            "host is not signed",
        ),
        (lambda: cavage(("host", "date"), method="GET"), {"method": "GET", "body": None}, "request target"),
        (lambda: cavage(Host="evil.example"), {}, "signed host is not this server"),
        (lambda: cavage(), {"host": "other.example"}, "signed host is not this server"),
        (lambda: cavage(date=NOW - 66 * 60), {}, "Date outside the accepted window"),
        (lambda: cavage(date=NOW + 61 * 60), {}, "Date outside the accepted window"),
        (lambda: cavage(Date="yesterday-ish"), {}, "not a valid HTTP date"),
        (lambda: cavage(algorithm="hmac-sha256"), {}, "unsupported signature algorithm"),
        (lambda: cavage(algorithm="rsa-sha512"), {}, "unsupported signature algorithm"),
        (lambda: cavage(extra=f',keyId="{KEY_ID}"'), {}, "duplicate parameter keyid"),
        (lambda: cavage(extra=',headers="date"'), {}, "duplicate parameter headers"),
        (lambda: {**cavage(), "Signature": 'keyId="x",signature="abc'}, {}, "unterminated"),
        (lambda: {**cavage(), "Signature": "keyId"}, {}, "malformed"),
        (lambda: {**cavage(), "Signature": ""}, {}, "keyId is missing"),
        (lambda: {"Host": HOST, "Date": format_http_date(NOW)}, {}, "request is not signed"),
        (lambda: {"Authorization": "Bearer abc"}, {}, "request is not signed"),
        (
            lambda: cavage(("(request-target)", "host", "(created)", "digest"), created=int(NOW)),
            {},
            r"\(created\) and \(expires\) need algorithm hs2019",
        ),
        (
            lambda: cavage(("host", "(created)", "digest"), algorithm="hs2019", created=int(NOW), expires=int(NOW) - 1),
            {},
            "signature has expired",
        ),
        (lambda: cavage(("host", "(created)", "digest"), algorithm="hs2019"), {}, r"\(created\) is signed but has no"),
    ],
)
def test_cavage_refusals(build, kwargs, reason):
    """Each broken or weak draft-cavage request is refused with its reason, before any key is used."""
    with pytest.raises(SignatureError, match=reason):
        inspect(build(), **kwargs)


def test_wrong_key_does_not_verify():
    """A signature from another key does not verify with the claimed actor's key."""
    claim = inspect(cavage(pem=OTHER_PRIVATE_PEM))
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(claim, PUBLIC_PEM)
    assert verify_claim(claim, OTHER_PUBLIC_PEM).key_id == KEY_ID


def test_replay_to_another_path_does_not_verify():
    """A signature for one inbox does not verify when the request goes to another path."""
    claim = inspect(cavage(path="/groups/other/inbox"))
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(claim, PUBLIC_PEM)


def test_swapped_digest_and_body_does_not_verify():
    """Replacing body and Digest together passes the digest check but breaks the signature."""
    other = b'{"type":"Delete"}'
    headers = cavage()
    headers["Digest"] = digest_header(other)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(inspect(headers, body=other), PUBLIC_PEM)


@pytest.mark.parametrize("pem", ["", "not a key", PRIVATE_PEM, PUBLIC_PEM.replace("A", "B", 5)])
def test_unusable_public_key(pem):
    """Junk, a private key or a corrupted PEM is not a usable public key."""
    with pytest.raises(SignatureError):
        verify_claim(inspect(cavage()), pem)


# --- refused RFC 9421 requests --------------------------------------------------------------

GOOD = '"@method" "@target-uri" "content-digest"'


def test_rfc9421_helper_builds_acceptable_requests():
    """The hand-built RFC 9421 request used below passes, so each refusal is due to its one change."""
    assert verify_claim(inspect(rfc9421(GOOD)), PUBLIC_PEM).scheme == "rfc9421"


@pytest.mark.parametrize(
    "build, kwargs, reason",
    [
        (lambda: rfc9421(GOOD), {"body": BODY + b"!"}, "Content-Digest does not match the body"),
        (lambda: rfc9421('"@method" "@target-uri"'), {}, "content-digest is not signed"),
        (lambda: rfc9421('"@method" "@path"', method="GET"), {"method": "GET", "body": None}, "@authority is not signed"),
        (lambda: rfc9421(GOOD + ' "host"', Host="evil.example"), {}, "signed host is not this server"),
        (lambda: rfc9421(GOOD), {"host": "other.example"}, "signed host is not this server"),
        (lambda: rfc9421(GOOD, f';created={int(NOW) - 66 * 60};keyid="k"'), {}, "outside the accepted window"),
        (lambda: rfc9421(GOOD, f';created={int(NOW) + 61 * 60};keyid="k"'), {}, "outside the accepted window"),
        (lambda: rfc9421(GOOD, f';created={int(NOW)};expires={int(NOW) - 1};keyid="k"'), {}, "expired"),
        (lambda: rfc9421(GOOD, ';keyid="k"'), {}, "neither created nor Date"),
        (lambda: rfc9421(GOOD, f";created={int(NOW)}"), {}, "keyid is missing"),
        (lambda: rfc9421(GOOD, f';created={int(NOW)};keyid="k";alg="rsa-pss-sha512"'), {}, "unsupported"),
        (lambda: {k: v for k, v in rfc9421(GOOD).items() if k != "Signature"}, {}, "Signature header is missing"),
        (lambda: {**rfc9421(GOOD), "Signature": "other=:AAAA:"}, {}, "no signature for label sig1"),
        (lambda: {**rfc9421(GOOD), "Signature-Input": "sig1=(\"@method\""}, {}, "SignatureError|malformed"),
    ],
)
def test_rfc9421_refusals(build, kwargs, reason):
    """Each broken or weak RFC 9421 request is refused with its reason."""
    with pytest.raises(SignatureError, match=reason):
        inspect(build(), **kwargs)


def test_rfc9421_wrong_key_and_tampered_signature():
    """RFC 9421 signatures fail with another key, and with a changed method."""
    claim = inspect(rfc9421(GOOD))
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(claim, OTHER_PUBLIC_PEM)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(inspect(rfc9421(GOOD), method="PUT"), PUBLIC_PEM)


def test_rfc9421_signed_for_another_host_does_not_verify():
    """A signature whose @target-uri named another host fails: the base is rebuilt from our URI."""
    claim = inspect(rfc9421(GOOD, uri_host="evil.example"))
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(claim, PUBLIC_PEM)
