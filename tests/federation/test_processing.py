"""Tests for federation.processing helpers that need no database."""

from __future__ import annotations

import pytest

from federation.errors import DocumentError, FetchError, ResponseTooLarge, UnsafeAddressError
from federation.fetch import FetchStatusError, GoneError
from federation.processing import is_permanent, printable


@pytest.mark.parametrize(
    "exc, permanent",
    [
        (DocumentError("not an ActivityStreams document"), True),
        (UnsafeAddressError("private"), True),
        (ResponseTooLarge("big"), True),
        (FetchStatusError("HTTP 404", 404), True),
        (GoneError("gone", 410), True),
        (FetchStatusError("HTTP 401", 401), False),
        (FetchStatusError("HTTP 429", 429), False),
        (FetchStatusError("HTTP 503", 503), False),
        (FetchError("request failed: ConnectError"), False),
    ],
)
def test_only_failures_a_retry_cannot_fix_are_permanent(exc: FetchError, permanent: bool):
    """Unusable documents and definite 4xx end the item (ignored); network trouble and 5xx are retried."""
    assert is_permanent(exc) is permanent


def test_recorded_reasons_carry_no_control_characters():
    """A peer's text in a reason (a type with a NUL) is stored without it: PostgreSQL refuses NUL in text."""
    assert printable("Ann\x00ounce of a reference is not handled") == "Ann\ufffdounce of a reference is not handled"
    assert printable("line one\nline two") == "line one\nline two"
    assert printable(None) is None
    assert len(printable("x" * 5000)) == 2000
