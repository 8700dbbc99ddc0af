"""Who is signed in: the account id in the signed session cookie (Starlette's SessionMiddleware).

The cookie is signed with the hub's secret (itsdangerous), HttpOnly, SameSite=Lax and Secure when
the hub runs under https; it expires after :data:`MAX_AGE`.
"""

from __future__ import annotations

from starlette.requests import Request

from hub.models import Account
from hub.services import signin
from web import csrf
from web.errors import SignInRequired

COOKIE = "causeway_session"
MAX_AGE = 14 * 24 * 3600
ACCOUNT_KEY = "account_id"


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
