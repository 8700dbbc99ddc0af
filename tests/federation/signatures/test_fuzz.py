"""Property tests: parsers and inspect_request raise nothing but SignatureError on arbitrary input."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.errors import SignatureError
from federation.signatures import (
    SignatureClaim,
    check_digest,
    inspect_request,
    parse_signature,
    parse_signature_header,
    parse_signature_input,
    sign_cavage,
    sign_rfc9421,
    verify_claim,
)

from .fixtures import HOST, KEY_ID, NOW, PRIVATE_PEM, PUBLIC_PEM

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CAVAGE_BITS = [
    "keyId", "KeyID", "algorithm", "headers", "signature", "created", "expires", "=", '"', ",", " ", "\t",
    "\\", "rsa-sha256", "hs2019", "(request-target)", "(created)", "host", "date", "digest", "AAAA", "==",
    "1700000000", "-1", "1.5", "é", "\x00", "\n", "https://x.example/u#k",
]  # fmt: skip
SF_BITS = [
    "sig1", "sig-b26", "=", "(", ")", '"@method"', '"@target-uri"', '"content-digest"', '"date"', ";",
    "created", "keyid", "alg", "expires", "=", "1700000000", "-", ".", "5", ":", "AAAA", "==", "?1", "?",
    ",", " ", "\t", '"', "\\", "*", "tok", "é", "\x7f", "sf", "99999999999999999",
]  # fmt: skip

cavage_text = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(CAVAGE_BITS), max_size=40).map("".join))
sf_text = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(SF_BITS), max_size=40).map("".join))
header_names = st.sampled_from(
    ["signature", "Signature-Input", "authorization", "digest", "content-digest", "date", "host", "accept"]
)
header_values = st.one_of(cavage_text, sf_text)


def _only_signature_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except SignatureError as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return None


@FAST
@given(cavage_text)
def test_parse_signature_header_only_raises_signature_error(value):
    """parse_signature_header accepts or raises SignatureError, nothing else."""
    _only_signature_errors(parse_signature_header, value)


@FAST
@given(sf_text)
def test_rfc9421_parsers_only_raise_signature_error(value):
    """Signature-Input / Signature / Content-Digest parsing raises only SignatureError."""
    for inp in (_only_signature_errors(parse_signature_input, value) or {}).values():
        for name in ("created", "expires", "keyid", "alg"):
            _only_signature_errors(inp.param, name)
        inp.serialized()
    _only_signature_errors(parse_signature, value)
    _only_signature_errors(check_digest, {"Content-Digest": value, "Digest": value}, b"x")


@FAST
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "get", "DELETE"]),
    path=st.one_of(st.just("/inbox"), st.text(max_size=30)),
    headers=st.dictionaries(header_names, header_values, max_size=6),
    body=st.one_of(st.none(), st.binary(max_size=50)),
)
def test_inspect_request_only_raises_signature_error(method, path, headers, body):
    """inspect_request on arbitrary headers returns a claim or raises SignatureError."""
    result = _only_signature_errors(
        inspect_request, method, f"https://{HOST}{path}", path, headers, body, expected_host=HOST, now=NOW
    )
    assert result is None or isinstance(result, SignatureClaim)


@settings(max_examples=40, deadline=None)
@given(
    scheme=st.sampled_from(["cavage", "rfc9421"]),
    body=st.binary(max_size=200),
    query=st.text(alphabet="abc=&%20", max_size=12),
)
def test_sign_then_verify_round_trips(scheme, body, query):
    """Whatever the body and query, a request we sign is accepted and verified by our verifier."""
    path = "/groups/g/inbox" + (f"?{query}" if query else "")
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    headers = sign("POST", f"https://{HOST}{path}", {}, body, KEY_ID, PRIVATE_PEM, now=NOW)
    claim = inspect_request("POST", f"https://{HOST}{path}", path, headers, body, expected_host=HOST, now=NOW + 30)
    assert verify_claim(claim, PUBLIC_PEM).scheme == scheme


def _valid_headers(scheme: str) -> dict[str, str]:
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    return sign("POST", f"https://{HOST}/inbox", {}, b"{}", KEY_ID, PRIVATE_PEM, now=NOW)


VALID = {scheme: _valid_headers(scheme) for scheme in ("cavage", "rfc9421")}


@FAST
@given(
    scheme=st.sampled_from(sorted(VALID)),
    data=st.data(),
    insert=st.one_of(st.sampled_from(CAVAGE_BITS + SF_BITS), st.text(max_size=8)),
)
def test_mutated_valid_headers_only_raise_signature_error(scheme, data, insert):
    """Splicing junk into a valid signed request yields a claim or SignatureError, nothing else."""
    headers = dict(VALID[scheme])
    name = data.draw(st.sampled_from(sorted(headers)))
    value = headers[name]
    start = data.draw(st.integers(0, len(value)))
    end = data.draw(st.integers(start, min(len(value), start + 6)))
    headers[name] = value[:start] + insert + value[end:]
    claim = _only_signature_errors(
        inspect_request, "POST", f"https://{HOST}/inbox", "/inbox", headers, b"{}", expected_host=HOST, now=NOW
    )
    if claim is not None:
        _only_signature_errors(verify_claim, claim, PUBLIC_PEM)
