"""Tests for Digest (RFC 3230) and Content-Digest (RFC 9530) headers."""

import pytest

from federation.errors import SignatureError
from federation.signatures.digest import (
    check_content_digest,
    check_digest,
    check_digest_header,
    content_digest_header,
    digest_header,
)

from .fixtures import RFC_BODY, RFC_HEADERS

EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
# RFC 9530 section 2 example values for {"hello": "world"}
HELLO_SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
HELLO_SHA512 = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="


def test_digest_header_of_empty_body():
    """The Digest of an empty body is the well-known SHA-256 of nothing."""
    assert digest_header(b"") == f"SHA-256={EMPTY_SHA256}"


def test_content_digest_header_matches_rfc_9530_example():
    """Content-Digest of the RFC 9530 example body is the published value."""
    assert content_digest_header(RFC_BODY) == f"sha-256=:{HELLO_SHA256}:"


def test_rfc_9421_request_content_digest_sha512_checks():
    """The sha-512 Content-Digest of the RFC 9421 test request matches its body."""
    check_digest(RFC_HEADERS, RFC_BODY)


def test_digest_header_round_trip():
    """A Digest produced for a body checks against that body."""
    check_digest_header(digest_header(RFC_BODY), RFC_BODY)
    check_content_digest(content_digest_header(RFC_BODY), RFC_BODY)


def test_digest_with_several_algorithms_uses_sha256():
    """Digest listing several algorithms passes when its SHA-256 matches, case-insensitively."""
    check_digest_header(f"SHA-512={HELLO_SHA512}, sha-256={HELLO_SHA256}", RFC_BODY)


def test_digest_without_sha256_is_rejected():
    """Digest offering only SHA-512 is refused: SHA-256 must be present."""
    with pytest.raises(SignatureError, match="no SHA-256"):
        check_digest_header(f"SHA-512={HELLO_SHA512}", RFC_BODY)


@pytest.mark.parametrize(
    "value",
    [f"SHA-256={EMPTY_SHA256}", "SHA-256=not base64!!", "SHA-256=", f"SHA-256={HELLO_SHA256[:-4]}"],
)
def test_digest_mismatch_is_rejected(value):
    """A Digest of other bytes, or an undecodable one, does not match."""
    with pytest.raises(SignatureError, match="Digest does not match the body"):
        check_digest_header(value, RFC_BODY)


def test_changed_body_is_rejected():
    """One changed byte of body breaks the Digest."""
    with pytest.raises(SignatureError, match="does not match"):
        check_digest({"Digest": digest_header(RFC_BODY)}, RFC_BODY.replace(b"world", b"World"))


def test_content_digest_sha512_mismatch_is_rejected():
    """A wrong sha-512 Content-Digest is refused even next to a right sha-256."""
    value = f"sha-256=:{HELLO_SHA256}:, sha-512=:{HELLO_SHA256}:"
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        check_content_digest(value, RFC_BODY)


def test_content_digest_unknown_algorithm_only_is_rejected():
    """Content-Digest with neither sha-256 nor sha-512 cannot be checked."""
    with pytest.raises(SignatureError, match="no sha-256 or sha-512"):
        check_content_digest("md5=:AAAAAAAAAAAAAAAAAAAAAA==:", RFC_BODY)


@pytest.mark.parametrize("value", ["sha-256=abc", "sha-256=:%%%:", "sha-256=:AAA", "", "sha-256=\"x\""])
def test_malformed_content_digest_is_rejected(value):
    """Content-Digest that is not a dictionary of byte sequences raises SignatureError."""
    with pytest.raises(SignatureError):
        check_content_digest(value, RFC_BODY)


def test_no_digest_header_at_all():
    """check_digest demands one of the two headers."""
    with pytest.raises(SignatureError, match="Digest header is missing"):
        check_digest({"Content-Type": "application/json"}, RFC_BODY)


def test_both_headers_must_match():
    """With both headers present, a wrong Digest fails even if Content-Digest is right."""
    headers = {"Digest": f"SHA-256={EMPTY_SHA256}", "Content-Digest": content_digest_header(RFC_BODY)}
    with pytest.raises(SignatureError, match="Digest does not match"):
        check_digest(headers, RFC_BODY)
