"""Who is signed in: the account id in the signed session cookie (Starlette's SessionMiddleware).

The cookie is signed with the hub's secret (itsdangerous), HttpOnly, SameSite=Lax and Secure when
the hub runs under https; it expires after :data:`MAX_AGE`.
"""

from __future__ import annotations

import re

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.models import Account
from hub.services import signin
from web import csrf
from web.errors import SignInRequired

COOKIE = "causeway_session"
MAX_AGE = 14 * 24 * 3600
ACCOUNT_KEY = "account_id"
SESSIONLESS = re.compile(r"/(?:inbox|actor/inbox|groups/[^/]+/inbox)")
"""Inbox POSTs: signed requests between servers, never a person's browser, so no session cookie."""


class PageSessions:
    """Starlette's SessionMiddleware for everything but inbox POSTs, which skip it (no cookie to read or set).

    The inbox is the busiest path of a federating server; reading and writing a session there cost
    about 5% of its time (bench/RESULTS.md, inbox).
    """

    def __init__(self, app: ASGIApp, **options: object) -> None:
        self.app = app
        self.sessions = SessionMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the session middleware unless it is an inbox POST."""
        if scope["type"] == "http" and scope["method"] == "POST" and SESSIONLESS.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
        else:
            await self.sessions(scope, receive, send)


async def current_account(request: Request) -> Account | None:
    """The signed-in account, or None (looked up once per request)."""
    if "session" not in request.scope:
        return None
    if not hasattr(request.state, "account"):
        request.state.account = await signin.session_account(request.session.get(ACCOUNT_KEY))
    return request.state.account


async def require_account(request: Request) -> Account:
    """The signed-in account; SignInRequired when there is none."""
    account = await current_account(request)
    if account is None:
        raise SignInRequired("sign in first")
    return account


def sign_in(request: Request, account: Account) -> None:
    """Start a new session for ``account`` (the old session's contents are dropped, the CSRF token renewed)."""
    request.session.clear()
    request.session[ACCOUNT_KEY] = account.id
    csrf.rotate(request)
    request.state.account = account


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()
    csrf.rotate(request)
    request.state.account = None
