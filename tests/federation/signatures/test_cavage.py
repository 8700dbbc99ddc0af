"""Tests for draft-cavage parsing, signing strings, signing and the httpx SigningAuth."""

import base64

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from federation.errors import SignatureError
from federation.signatures.auth import SigningAuth
from federation.signatures.cavage import _pairs, parse_signature_header, signing_string
from federation.signatures.cavage import sign as sign_cavage
from federation.signatures.keys import load_private_key, public_pem_of
from federation.signatures.verify import inspect_request, verify_claim

from .fixtures import BODY, HOST, INBOX, KEY_ID, NOW, PRIVATE_PEM, PUBLIC_PEM

SIG_B64 = base64.b64encode(b"\x01" * 256).decode()

# The signature our fixed key gives the fixed POST below: RSASSA-PKCS1-v1_5 is deterministic.
PINNED_POST_SIGNATURE = (
    "BaaGsqiVq9JtWSp/mUD2CZfRN7Qv3eNseTCD8P3tqDdTjgXpg3TsOY3NvPga4n+5O7G/LEGBSA8GdjB9iAhKmZhd3U89KUM1"
    "vYj02Wfks/KzSpbq+WIxQTBOfV4mxldYhqicldw8H2RPOtUnoKQE5IpTEa3V1WaurGDK+hVxVy0s3ZflRGaJslpcTww/KYjA"
    "dm7JIl7Y22oO2q9+aSMEXOZ56F6fF7q2aOO+aFZOTRdvJRDgyeyBANBJsDot3/eez/criEwH4tbUK83fb0/k7cfM5w1Ri6wR"
    "CcexxFkSQz8GX9UYPrS4os3As6Ikmg00UoGPazC2JbmllibyXgTiQw=="
)


def test_parse_mastodon_header():
    """A header shaped like Mastodon's parses into its parts, header names lower-cased."""
    value = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="(request-target) Host date Digest content-type",signature="{SIG_B64}"'
    )
    params = parse_signature_header(value)
    assert params.key_id == KEY_ID
    assert params.algorithm == "rsa-sha256"
    assert params.headers == ("(request-target)", "host", "date", "digest", "content-type")
    assert params.signature == b"\x01" * 256
    assert params.created is None and params.expires is None


def test_parse_tolerates_whitespace_commas_in_quotes_and_unknown_params():
    """Whitespace around separators, commas and escapes inside quotes, and unknown params are fine."""
    value = (
        f' keyId = "https://x.example/a,b#k\\"1" , foo=bar, algorithm=hs2019 ,'
        f' created=1700000000, expires="1700000300.5", headers="(created) host",'
        f'signature="{SIG_B64}" '
    )
    params = parse_signature_header(value)
    assert params.key_id == 'https://x.example/a,b#k"1'
    assert params.algorithm == "hs2019"
    assert params.headers == ("(created)", "host")
    assert params.created == 1700000000
    assert params.expires == 1700000300.5


def test_parse_defaults_follow_mastodon():
    """Without algorithm and headers, hs2019 and ``(created)`` are assumed."""
    params = parse_signature_header(f'keyId="k",signature="{SIG_B64}",created=1')
    assert params.algorithm == "hs2019"
    assert params.headers == ("(created)",)
    assert parse_signature_header(f'keyId="k",algorithm="rsa-sha256",signature="{SIG_B64}"').headers == (
        "date",
    )


@pytest.mark.parametrize(
    "value, reason",
    [
        (f'keyId="a",keyId="b",signature="{SIG_B64}"', "duplicate parameter keyid"),
        (f'keyId="a",KEYID="b",signature="{SIG_B64}"', "duplicate parameter keyid"),
        (f'keyId="a",signature="{SIG_B64}",signature="{SIG_B64}"', "duplicate parameter signature"),
        (f'signature="{SIG_B64}"', "keyId is missing"),
        ('keyId="a"', "signature is missing"),
        ('keyId="a",signature="@@not-base64@@"', "signature is not valid base64"),
        (f'keyId="a,signature="{SIG_B64}"', "malformed"),
        (f'keyId="a" signature="{SIG_B64}"', "malformed"),
        (f'keyId="a",,signature="{SIG_B64}"', "malformed"),
        (f'keyId="a",signature="{SIG_B64}",headers=""', "signs no headers"),
        (f'keyId="a",signature="{SIG_B64}",created="soon"', "created is not a UNIX timestamp"),
        (f'keyId="a",signature="{SIG_B64}",created="١٢٣"', "created is not a UNIX timestamp"),
        (f'keyId="a",signature="{SIG_B64}",expires=-5', "expires is not a UNIX timestamp"),
        ("", "keyId is missing"),
        ("garbage", "malformed"),
        (f'keyId="a",signature="{SIG_B64}\\', "unterminated"),
        (f'keyId="a",signature="{SIG_B64}" x', "malformed"),
        (f'keyId=a"b,signature="{SIG_B64}"', "malformed"),
        (f'keyId=,signature="{SIG_B64}"', "malformed"),
        (f'keyId"a",signature="{SIG_B64}"', "malformed"),
    ],
)
def test_parse_rejects_malformed(value, reason):
    """Malformed or duplicated parameters raise SignatureError with a telling reason."""
    with pytest.raises(SignatureError, match=reason):
        parse_signature_header(value)


_NAMES = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
_VALUES = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, _VALUES, st.booleans()), max_size=6), st.sampled_from(["", " ", "\t ", "  "]))
def test_pairs_read_back_what_was_written(pairs, blank):
    """Any names with any quoted values (quotes and backslashes escaped), or plain tokens, separated by commas with
    blanks around them, read back as written."""
    parts = []
    for name, value, plain in pairs:
        token = plain and value and not set(value) & set(', \t"')
        text = value if token else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{blank}{name}{blank}={blank}{text}{blank}")
    assert _pairs(",".join(parts)) == [(name, value) for name, value, _ in pairs]


def test_signing_string_with_pseudo_headers():
    """Pseudo headers and plain headers produce the exact draft-cavage lines."""
    headers = {"Host": "hub.example", "Date": "Tue, 14 Nov 2023 22:13:20 GMT"}
    text = signing_string(
        "POST",
        "/inbox?x=1",
        headers,
        ["(request-target)", "(created)", "(expires)", "host", "date"],
        created=1700000000,
        expires="1700000300.5",
    )
    assert text == (
        "(request-target): post /inbox?x=1\n(created): 1700000000\n(expires): 1700000300.5\n"
        "host: hub.example\ndate: Tue, 14 Nov 2023 22:13:20 GMT"
    )


def test_signing_string_missing_header():
    """A signed header absent from the request raises SignatureError."""
    with pytest.raises(SignatureError, match="digest is signed but missing"):
        signing_string("POST", "/inbox", {"host": "h"}, ["host", "digest"])
    with pytest.raises(SignatureError, match=r"\(created\) is signed but has no value"):
        signing_string("POST", "/inbox", {}, ["(created)"])


def test_sign_post_matches_independent_signature_and_pin():
    """sign() emits Mastodon-style headers whose signature matches a hand-built one (pinned)."""
    headers = sign_cavage("POST", INBOX, {"Content-Type": "application/activity+json"}, BODY, KEY_ID, PRIVATE_PEM, now=NOW)
    assert headers["Host"] == HOST
    assert headers["Date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert headers["Digest"] == "SHA-256=OFEvxFGSoy5SsxMW96Bm1Vk4Elo5FqPvdA8xnOnaelU="
    assert headers["Content-Type"] == "application/activity+json"
    expected_string = (
        "(request-target): post /groups/climate/inbox\nhost: hub.example\n"
        "date: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: SHA-256=OFEvxFGSoy5SsxMW96Bm1Vk4Elo5FqPvdA8xnOnaelU="
    )
    raw = load_private_key(PRIVATE_PEM).sign(expected_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64encode(raw).decode() == PINNED_POST_SIGNATURE
    assert headers["Signature"] == (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
        f'signature="{PINNED_POST_SIGNATURE}"'
    )


def test_sign_get_has_no_digest_and_keeps_query():
    """A GET is signed over (request-target) host date, with the query in the request target."""
    url = f"https://{HOST}/groups/climate/outbox?page=2"
    headers = sign_cavage("GET", url, {}, None, KEY_ID, PRIVATE_PEM, now=NOW)
    assert "Digest" not in headers
    params = parse_signature_header(headers["Signature"])
    assert params.headers == ("(request-target)", "host", "date")
    claim = inspect_request("GET", url, "/groups/climate/outbox?page=2", headers, None, expected_host=HOST, now=NOW)
    assert claim.messages[0].startswith(b"(request-target): get /groups/climate/outbox?page=2\n")
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_sign_replaces_stale_signature_headers_and_keeps_given_host():
    """Existing Date/Digest/Signature headers are replaced whatever their case; a given Host is kept."""
    given = {"date": "old", "DIGEST": "old", "signature": "old", "host": "hub.example:8443"}
    headers = sign_cavage("POST", "https://hub.example:8443/inbox", given, b"{}", KEY_ID, PRIVATE_PEM, now=NOW)
    assert sorted(headers) == ["Date", "Digest", "Host", "Signature"]
    assert headers["Host"] == "hub.example:8443"


def test_sign_with_ed25519_key_uses_hs2019():
    """An Ed25519 private key signs as hs2019 and verifies with its public key."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    headers = sign_cavage("POST", INBOX, {}, BODY, KEY_ID, pem, now=NOW)
    assert parse_signature_header(headers["Signature"]).algorithm == "hs2019"
    claim = inspect_request("POST", INBOX, "/groups/climate/inbox", headers, BODY, expected_host=HOST, now=NOW)
    assert verify_claim(claim, public_pem_of(key)).scheme == "cavage"
    with pytest.raises(SignatureError, match="does not verify"):
        verify_claim(claim, PUBLIC_PEM)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signing_auth_signs_httpx_requests(scheme):
    """SigningAuth signs GETs and POSTs that the inbound verifier then accepts."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        claim = inspect_request(
            request.method, str(request.url), request.url.raw_path.decode(), request.headers,
            request.content, expected_host=HOST,
        )  # fmt: skip
        seen.append((claim.scheme, verify_claim(claim, PUBLIC_PEM).key_id, "digest" in str(claim.covered)))
        return httpx.Response(202)

    auth = SigningAuth(KEY_ID, PRIVATE_PEM, scheme=scheme)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert (await client.post(INBOX, content=BODY)).status_code == 202
        assert (await client.get(f"https://{HOST}/groups/climate?x=1")).status_code == 202
    assert seen == [(scheme, KEY_ID, True), (scheme, KEY_ID, False)]


def test_signing_auth_rejects_unknown_scheme():
    """Only the two schemes are accepted."""
    with pytest.raises(ValueError):
        SigningAuth(KEY_ID, PRIVATE_PEM, scheme="hmac")
