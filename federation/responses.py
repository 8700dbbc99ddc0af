"""What the ActivityPub endpoints answer with: ActivityStreams JSON, JSON errors, and content negotiation."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from federation.context import Federation

AS_MEDIA_TYPE = "application/activity+json"


class ActivityResponse(JSONResponse):
    """JSON served as application/activity+json."""

    media_type = AS_MEDIA_TYPE

    def render(self, content: object) -> bytes:
        """Compact UTF-8 JSON."""
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def wants_activity_json(request: Request) -> bool:
    """Whether the Accept header asks for ActivityStreams rather than HTML."""
    accept = request.headers.get("accept", "").lower()
    if "application/activity+json" in accept:
        return True
    return "application/ld+json" in accept and "activitystreams" in accept


def fed_of(request: Request) -> Federation:
    """The Federation runtime of the app."""
    return request.app.state.federation


def error_response(status: int, message: str) -> JSONResponse:
    """A JSON error body a peer's operator can act on."""
    return JSONResponse({"error": message}, status_code=status)
