"""Structured field values (RFC 8941) as the signature headers use them: dictionaries, inner lists, parameters."""

from __future__ import annotations

import pytest

from federation.errors import SignatureError
from federation.signatures.sfv import InnerList, Item, parse_dictionary, serialize_bare, serialize_inner_list


def test_a_signature_input_dictionary_parses_and_serialises_back() -> None:
    """An inner list of components with parameters round-trips; byte sequences and tokens parse to their values."""
    parsed = parse_dictionary('sig1=("@method" "@path" "host");created=1700000000;keyid="k1", sig2=:AAE=:')
    inner = parsed["sig1"]
    assert isinstance(inner, InnerList) and [i.value for i in inner.items] == ["@method", "@path", "host"]
    assert dict(inner.params) == {"created": 1700000000, "keyid": "k1"}
    assert serialize_inner_list(inner) == '("@method" "@path" "host");created=1700000000;keyid="k1"'
    assert isinstance(parsed["sig2"], Item) and parsed["sig2"].value == b"\x00\x01"
    assert serialize_bare("a\"b") == '"a\\"b"' and serialize_bare(True) == "?1"


@pytest.mark.parametrize("text", ['sig1=("a"', "sig1=:not base64!:", 'UPPER="x"', 'a="unterminated'])
def test_malformed_dictionaries_are_signature_errors(text: str) -> None:
    """Broken structure is refused as a SignatureError (a 401 at the inbox), never another exception."""
    with pytest.raises(SignatureError):
        parse_dictionary(text)
