"""Checks at the inbox door that need no signature: the body's size and shape, and the origin rules."""

from __future__ import annotations

import pytest

from federation.errors import OriginError, PayloadError
from federation.inbox import MAX_BODY, check_origin, parse_body

ACTOR = "https://masto.test/users/ann"


def test_bodies_must_be_small_utf8_json_objects():
    """Over 1 MiB is 413; invalid UTF-8, a JSON array or a leading byte order mark (which the worker's json.loads of
    the stored text would refuse after the 202) is 400."""
    assert parse_body(b'{"type":"Follow"}') == {"type": "Follow"}
    with pytest.raises(PayloadError) as big:
        parse_body(b" " * (MAX_BODY + 1))
    assert big.value.status == 413
    for bad in (b"\xff\xfe", b"[1, 2]", b'\xef\xbb\xbf{"type":"Follow"}'):
        with pytest.raises(PayloadError):
            parse_body(bad)


def test_ids_and_embedded_objects_must_be_on_the_actors_host():
    """The activity id and an embedded post's id are the actor's host's; Announce and Flag may embed others' objects."""
    check_origin({"id": f"{ACTOR}#c", "type": "Create", "object": {"id": f"{ACTOR}/notes/1", "attributedTo": ACTOR}}, ACTOR)
    check_origin({"id": f"{ACTOR}#a", "type": "Announce", "object": {"id": "https://other.test/notes/1"}}, ACTOR)
    with pytest.raises(OriginError):
        check_origin({"id": "https://evil.test/a/1", "type": "Create"}, ACTOR)
    with pytest.raises(OriginError):
        check_origin({"id": f"{ACTOR}#c", "type": "Create", "object": {"id": "https://other.test/notes/1"}}, ACTOR)
    with pytest.raises(OriginError, match="attributed to someone else"):
        check_origin({"id": f"{ACTOR}#u", "type": "Update", "object": {"id": f"{ACTOR}/n/2", "attributedTo": f"{ACTOR}x"}}, ACTOR)
