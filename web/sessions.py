"""Who is signed in: a server-side session (hub.services.sessions) named by a token in the signed cookie.

The cookie (Starlette's SessionMiddleware, signed with the hub's secret, HttpOnly, SameSite=Lax and
Secure under https) carries the session token; the account comes from the session row on the
server, so signing out, or ending a session from the member's page, stops the cookie working
everywhere at once.
"""

from __future__ import annotations

from starlette.requests import Request

from hub.models import Account, Session
from hub.services import sessions
from web.errors import SignInRequired

COOKIE = "causeway_session"
MAX_AGE = int(sessions.LIFETIME.total_seconds())
SESSION_KEY = "session_token"
"""Key of the session token in the cookie's data."""


async def current_account(request: Request) -> Account | None:
    """The signed-in account, or None (looked up once per request)."""
    if "session" not in request.scope:
        return None
    if not hasattr(request.state, "account"):
        found = await sessions.resume(request.session.get(SESSION_KEY))
        if found is None and SESSION_KEY in request.session:
            request.session.pop(SESSION_KEY)
        request.state.server_session, request.state.account = found if found else (None, None)
        if found and found[1].language and hasattr(request.state, "language"):
            del request.state.language  # negotiated before the account was known: ask again (web.i18n.language_of)
    return request.state.account


async def current_session(request: Request) -> Session | None:
    """The server-side session of this request, or None."""
    await current_account(request)
    return getattr(request.state, "server_session", None)


async def require_account(request: Request) -> Account:
    """The signed-in account; SignInRequired when there is none."""
    account = await current_account(request)
    if account is None:
        raise SignInRequired("sign in first")
    return account


async def sign_in(request: Request, account: Account) -> None:
    """Start a new server-side session for ``account`` (the old cookie's contents, CSRF token included, dropped)."""
    await sessions.end(request.session.get(SESSION_KEY))
    started = await sessions.start(account, user_agent=request.headers.get("user-agent", ""))
    request.session.clear()
    request.session[SESSION_KEY] = started.token  # the cleared session's CSRF token is gone: a new one is made on use
    request.state.server_session, request.state.account = started.session, account


async def sign_out(request: Request) -> None:
    """End the session on the server and clear the cookie's contents."""
    await sessions.end(request.session.get(SESSION_KEY))
    request.session.clear()  # drops the CSRF token too: a new one is made on use
    request.state.server_session, request.state.account = None, None
