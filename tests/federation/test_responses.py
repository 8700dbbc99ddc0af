"""What the ActivityPub endpoints answer with: compact ActivityStreams JSON, JSON errors, content negotiation."""

from __future__ import annotations

from starlette.requests import Request

from federation.responses import AS_MEDIA_TYPE, ActivityResponse, error_response, wants_activity_json


def _request(accept: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"accept", accept.encode())]})


def test_activity_json_is_compact_utf8_with_its_media_type():
    """The body keeps non-ASCII text as UTF-8 without spaces; errors are JSON a peer's operator can read."""
    response = ActivityResponse({"name": "Bürger", "n": 1})
    assert response.body == '{"name":"Bürger","n":1}'.encode() and response.media_type == AS_MEDIA_TYPE
    error = error_response(410, "gone for good")
    assert (error.status_code, error.body) == (410, b'{"error":"gone for good"}')


def test_content_negotiation_recognises_both_activitystreams_types():
    """activity+json, and ld+json with the ActivityStreams profile, ask for JSON; a browser's Accept does not."""
    assert wants_activity_json(_request("application/activity+json"))
    assert wants_activity_json(_request('application/ld+json; profile="https://www.w3.org/ns/activitystreams"'))
    assert not wants_activity_json(_request("application/ld+json"))
    assert not wants_activity_json(_request("text/html,application/xhtml+xml"))
