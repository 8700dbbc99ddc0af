"""The inbox lane: POSTs to an inbox go straight to the inbox endpoint, before the page middleware.

The inbox is the busiest path of a federating server and its requests come from servers, never a
person's browser: no session cookie to read or renew, no route table to search, no page errors to
render. Skipping those (and adding the security headers directly) took about a tenth off each
inbox POST (bench/RESULTS.md, inbox). Other methods on these paths reach the route table (405).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.endpoints import inbox
from web.security import HEADERS

INBOX_PATH = re.compile(r"/(?:inbox|actor/inbox|groups/[^/]+/inbox)")
"""The shared inbox, the instance actor's and each group's."""


class InboxLane:
    """Outermost app middleware: inbox POSTs to :func:`federation.endpoints.inbox`, the rest on down the stack."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an inbox POST here; pass anything else on."""
        if scope["type"] != "http" or scope["method"] != "POST" or not INBOX_PATH.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        response = await inbox(Request(scope, receive))
        await send({"type": "http.response.start", "status": response.status_code, "headers": [*response.raw_headers, *HEADERS]})
        await send({"type": "http.response.body", "body": response.body})
