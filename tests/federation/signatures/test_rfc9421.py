"""Tests for RFC 9421 parsing, signature bases, signing, and the appendix B.2.6 test vector."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from federation.errors import SignatureError
from federation.signatures.keys import load_public_key, public_pem_of
from federation.signatures.rfc9421 import parse_signature, parse_signature_input, signature_base
from federation.signatures.rfc9421 import sign as sign_rfc9421
from federation.signatures.verify import inspect_request, verify_claim
from federation.signatures.keys import verify_bytes

from .fixtures import (
    BODY,
    HOST,
    INBOX,
    KEY_ID,
    NOW,
    PRIVATE_PEM,
    PUBLIC_PEM,
    RFC_B26_INPUT,
    RFC_B26_SIGNATURE,
    RFC_BODY,
    RFC_CREATED,
    RFC_ED25519_PUBLIC_PEM,
    RFC_HEADERS,
    RFC_TARGET_URI,
)

RFC_B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)

# Our own rsa-v1_5-sha256 vector: fixed key, fixed clock, RSASSA-PKCS1-v1_5 is deterministic.
PINNED_INPUT = f'sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="{KEY_ID}"'
PINNED_SIGNATURE = (
    "sig1=:W1Wwu7UwRE7oDAr1QNEMf4vFlb39ktPhxTpsyix8pJjO9sqe5wxewK5EAsX8PNtqYtfnin0GtcRShacxwDQVX8ubYfoA"
    "iVLLOs9anOKIclwkjsJgnJz+3uMzp6CxMq4+MAF+dcUArOTOIp+gqNtsUbUJujBvx6Ulz9jbZQlURfmKbVfrba49voY5av99"
    "qXlCE44rJUtlep0mve/LEBgYhyZXjCXcXomRaNo4Oq9i2E3Nj3x7uZW5N/bp1jwgS1qKSYt1EG/+z5A0lMde7LgznZouCX3l"
    "AWR0mRMAgPc/Ksb5H6PDg4qBODD2RwafjvBsaiXQhiGOe/w7uKsGCyOUpg==:"
)


def test_rfc_b26_signature_base():
    """The B.2.6 signature base is rebuilt byte for byte."""
    inp = parse_signature_input(RFC_B26_INPUT)["sig-b26"]
    assert signature_base(inp, method="POST", target_uri=RFC_TARGET_URI, headers=RFC_HEADERS) == RFC_B26_BASE


def test_rfc_b26_ed25519_signature_verifies():
    """The published ed25519 signature of B.2.6 verifies with test-key-ed25519; a flipped bit does not."""
    signature = parse_signature(RFC_B26_SIGNATURE)["sig-b26"]
    key = load_public_key(RFC_ED25519_PUBLIC_PEM)
    assert verify_bytes(key, None, signature, RFC_B26_BASE.encode())
    assert verify_bytes(key, "ed25519", signature, RFC_B26_BASE.encode())
    assert not verify_bytes(key, "rsa-v1_5-sha256", signature, RFC_B26_BASE.encode())
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_bytes(key, None, tampered, RFC_B26_BASE.encode())


def test_rfc_b26_fails_our_policy_for_lack_of_content_digest():
    """B.2.6 is a POST that does not cover content-digest, so the inbox policy refuses it."""
    headers = {**RFC_HEADERS, "Signature-Input": RFC_B26_INPUT, "Signature": RFC_B26_SIGNATURE}
    with pytest.raises(SignatureError, match="content-digest is not signed"):
        inspect_request(
            "POST", RFC_TARGET_URI, "/foo?param=Value&Pet=dog", headers, RFC_BODY,
            expected_host="example.com", now=RFC_CREATED,
        )  # fmt: skip


def test_sign_post_is_pinned_and_verifies():
    """sign() on a fixed request gives the pinned Signature-Input / Signature and verifies."""
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, PRIVATE_PEM, now=NOW)
    assert headers["Content-Digest"] == "sha-256=:OFEvxFGSoy5SsxMW96Bm1Vk4Elo5FqPvdA8xnOnaelU=:"
    assert headers["Signature-Input"] == PINNED_INPUT
    assert headers["Signature"] == PINNED_SIGNATURE
    claim = inspect_request("POST", INBOX, "/groups/climate/inbox", headers, BODY, expected_host=HOST, now=NOW)
    assert claim.messages[0].decode() == (
        '"@method": POST\n'
        f'"@target-uri": {INBOX}\n'
        '"content-digest": sha-256=:OFEvxFGSoy5SsxMW96Bm1Vk4Elo5FqPvdA8xnOnaelU=:\n'
        f'"@signature-params": {PINNED_INPUT[len("sig1="):]}'
    )
    assert verify_claim(claim, PUBLIC_PEM).scheme == "rfc9421"


def test_sign_get_covers_method_and_target_uri_only():
    """A GET signature covers @method and @target-uri, without a digest."""
    url = f"https://{HOST}/groups/climate/followers?page=1"
    headers = sign_rfc9421("GET", url, {}, None, KEY_ID, PRIVATE_PEM, now=NOW)
    assert "Content-Digest" not in headers
    assert parse_signature_input(headers["Signature-Input"])["sig1"].components == ("@method", "@target-uri")
    claim = inspect_request("GET", url, "/groups/climate/followers?page=1", headers, None, expected_host=HOST, now=NOW)
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_ed25519_signature_with_inferred_alg():
    """An Ed25519 key signs without alg; verification infers it from the key."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, pem, now=NOW)
    claim = inspect_request("POST", INBOX, "/groups/climate/inbox", headers, BODY, expected_host=HOST, now=NOW)
    assert claim.algorithm is None
    assert verify_claim(claim, public_pem_of(key)).key_id == KEY_ID
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_claim(claim, PUBLIC_PEM)


def test_parse_several_labels_and_round_trip():
    """Every label is parsed in order, and re-serialization is canonical."""
    value = 'a=("@method" "@path");created=1;keyid="k";alg="ed25519", b=();expires=5'
    inputs = parse_signature_input(value)
    assert list(inputs) == ["a", "b"]
    assert inputs["a"].serialized() == '("@method" "@path");created=1;keyid="k";alg="ed25519"'
    assert (inputs["a"].created, inputs["a"].keyid, inputs["a"].alg) == (1, "k", "ed25519")
    assert inputs["b"].components == () and inputs["b"].expires == 5
    assert parse_signature("a=:AQID:, b=:BA==:") == {"a": b"\x01\x02\x03", "b": b"\x04"}


@pytest.mark.parametrize(
    "value",
    [
        'sig1="@method"',  # not an inner list
        "sig1=(@method)",  # token, not a string
        'sig1=("@method"), sig1=("@path")',  # duplicate label
        'sig1=("@method";created=1',  # unterminated
        'Sig1=("@method")',  # keys are lower case
        'sig1=("@method"),',  # trailing comma
        'sig1=("@method");created=1;created=2',  # duplicate parameter
        'sig1=("@method")x',
        "",
    ],
)
def test_parse_signature_input_rejects_malformed(value):
    """Malformed Signature-Input raises SignatureError."""
    with pytest.raises(SignatureError):
        parse_signature_input(value)


@pytest.mark.parametrize("value", ["sig1=abc", 'sig1="abc"', "sig1=::", "sig1=:a b:", "sig1"])
def test_parse_signature_rejects_non_byte_sequences(value):
    """Signature members must be non-empty byte sequences."""
    with pytest.raises(SignatureError):
        parse_signature(value)


def test_wrongly_typed_parameters_are_rejected():
    """created must be an integer and keyid a string."""
    inp = parse_signature_input('s=("@method");created="1";keyid=tok')["s"]
    with pytest.raises(SignatureError, match="created has the wrong type"):
        inp.created
    with pytest.raises(SignatureError, match="keyid has the wrong type"):
        inp.keyid


@pytest.mark.parametrize(
    "component, uri, value",
    [
        ("@authority", "https://Hub.Example:443/x", "hub.example"),
        ("@authority", "http://hub.example:8080/x", "hub.example:8080"),
        ("@scheme", "HTTPS://hub.example/x", "https"),
        ("@path", "https://hub.example", "/"),
        ("@query", "https://hub.example/x?a=1&b", "?a=1&b"),
        ("@query", "https://hub.example/x", "?"),
        ("@request-target", "https://hub.example/x?a=1", "/x?a=1"),
        ("@target-uri", "https://HUB.example:443/x?a=1", "https://hub.example/x?a=1"),
    ],
)
def test_derived_component_values(component, uri, value):
    """Derived components follow RFC 9421 section 2.2."""
    inp = parse_signature_input(f's=("{component}")')["s"]
    base = signature_base(inp, method="get", target_uri=uri, headers={})
    assert base.splitlines()[0] == f'"{component}": {value}'


@pytest.mark.parametrize(
    "covered, reason",
    [
        ('"@method" "@method"', "covered twice"),
        ('"@signature-params"', "cannot be covered"),
        ('"@status"', "unsupported derived component"),
        ('"content-type";sf', "component parameters"),
        ('"x-missing"', "x-missing is signed but missing"),
    ],
)
def test_signature_base_refuses_bad_components(covered, reason):
    """Duplicate, unsupported or missing components raise SignatureError."""
    inp = parse_signature_input(f"s=({covered})")["s"]
    with pytest.raises(SignatureError, match=reason):
        signature_base(inp, method="GET", target_uri=INBOX, headers={"Content-Type": "a"})


def test_first_usable_label_is_verified():
    """An unusable first label (unknown alg) is skipped in favour of a good second one."""
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, PRIVATE_PEM, now=NOW, label="good")
    bogus = base64.b64encode(b"x" * 32).decode()
    headers["Signature-Input"] = (
        f'hmac=("@method" "@target-uri" "content-digest");created={int(NOW)};keyid="s";alg="hmac-sha256", '
        + headers["Signature-Input"]
    )
    headers["Signature"] = f"hmac=:{bogus}:, " + headers["Signature"]
    claim = inspect_request("POST", INBOX, "/groups/climate/inbox", headers, BODY, expected_host=HOST, now=NOW)
    assert claim.label == "good"
    assert verify_claim(claim, PUBLIC_PEM).key_id == KEY_ID


def test_no_usable_label_reports_the_first_problem():
    """When no label is usable, the first label's reason is raised."""
    headers = sign_rfc9421("POST", INBOX, {}, BODY, KEY_ID, PRIVATE_PEM, now=NOW)
    headers["Signature-Input"] = headers["Signature-Input"].replace(";keyid=", ';alg="hmac-sha256";keyid=')
    with pytest.raises(SignatureError, match="unsupported signature algorithm"):
        inspect_request("POST", INBOX, "/groups/climate/inbox", headers, BODY, expected_host=HOST, now=NOW)
