"""Tests for web.ics: TEXT escaping and line folding by octets, as RFC 5545 asks."""

from __future__ import annotations

from web.ics import escape, fold


def test_escape_text_values() -> None:
    """Backslash, semicolon, comma and newlines are escaped; other control characters are dropped."""
    assert escape("a\\b;c,d\ne\r\nf\x07") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_fold_at_75_octets_without_splitting_characters() -> None:
    """Long lines fold at 75 octets, continuation lines start with a space, UTF-8 characters stay whole."""
    line = "SUMMARY:" + "é" * 100
    folded = fold(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in folded) and all(p.startswith(" ") for p in folded[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(folded)) == line
    assert fold("SHORT:x") == "SHORT:x"
