"""CSRF protection: one random token per session, sent back in a hidden field by every form.

Pages put ``csrf_token(request)`` in a hidden ``csrf_token`` input; handlers read their form with
:func:`checked_form`, which raises :class:`~web.errors.CsrfRejected` unless the token matches.
SameSite=Lax session cookies already stop most cross-site POSTs; the token covers the rest.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

from web.errors import CsrfRejected

FIELD = "csrf_token"
SESSION_KEY = "csrf"
PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
"""Stands for the visitor's token in a page rendered for the anonymous page cache (web.pagecache);
random per process, so no posted text can contain it."""


def csrf_token(request: Request) -> str:
    """This session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def form_token(request: Request) -> str:
    """What a page's forms carry: this session's token, or :data:`PLACEHOLDER` when the page is
    rendered for the anonymous page cache (which puts each visitor's token in)."""
    if getattr(request.state, "csrf_placeholder", False):
        return PLACEHOLDER
    return csrf_token(request)


def rotate(request: Request) -> str:
    """A fresh token for the session (after signing in or out)."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return request.session[SESSION_KEY]


def token_matches(request: Request, sent: object) -> bool:
    """Whether ``sent`` is this session's token (constant-time comparison)."""
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


async def checked_form(request: Request, *, max_part_size: int = 1_048_576, max_files: int = 2) -> FormData:
    """The request's form after checking its CSRF token; CsrfRejected otherwise."""
    form = await request.form(max_files=max_files, max_fields=50, max_part_size=max_part_size)
    if not token_matches(request, form.get(FIELD)):
        raise CsrfRejected("the form's security token is missing or out of date")
    return form
