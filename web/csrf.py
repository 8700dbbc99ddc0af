"""CSRF protection: one random token per session, sent back in a hidden field by every form.

Pages put ``csrf_token(request)`` in a hidden ``csrf_token`` input; handlers read their form with
:func:`checked_form`, which raises :class:`~web.errors.CsrfRejected` unless the token matches.
SameSite=Lax session cookies already stop most cross-site POSTs; the token covers the rest.

The token is in the body, so the body must be read to check it: :func:`checked_form` first caps
what it will read — :data:`ANONYMOUS_BODY_LIMIT` for visitors without a session (no anonymous form
takes files), :data:`SIGNED_IN_BODY_LIMIT` otherwise — refusing a larger declared Content-Length at
once and stopping a chunked body as soon as it passes the cap (:class:`~web.errors.BodyTooLarge`).
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message

from web.errors import BodyTooLarge, CsrfRejected
from web.sessions import SESSION_KEY as SESSION_TOKEN_KEY

FIELD = "csrf_token"
SESSION_KEY = "csrf"
ANONYMOUS_BODY_LIMIT = 64 * 1024
"""Bytes a form from a visitor who is not signed in may have (sign-in, join: a few short fields)."""
SIGNED_IN_BODY_LIMIT = 8 * 1024 * 1024
"""Bytes a signed-in form may have (uploads are limited further by their handlers)."""
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


def token_matches(request: Request, sent: object) -> bool:
    """Whether ``sent`` is this session's token (constant-time comparison)."""
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def body_limit(request: Request) -> int:
    """The most a form of this request may carry: small unless the cookie names a session."""
    return SIGNED_IN_BODY_LIMIT if request.session.get(SESSION_TOKEN_KEY) else ANONYMOUS_BODY_LIMIT


def capped(request: Request, limit: int) -> Request:
    """The request with its body capped at ``limit`` bytes; BodyTooLarge for a larger declared length
    at once, or as soon as the bytes received pass the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is {declared} bytes; at most {limit} are accepted here")
    receive = request.receive
    seen = 0

    async def receive_capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"the body passed {limit} bytes, the most accepted here")
        return message

    return Request(request.scope, receive_capped)


async def checked_form(request: Request, *, max_part_size: int = 1_048_576, max_files: int = 2) -> FormData:
    """The request's form, read under :func:`body_limit`, after checking its CSRF token; CsrfRejected otherwise."""
    form = await capped(request, body_limit(request)).form(max_files=max_files, max_fields=50, max_part_size=max_part_size)
    if not token_matches(request, form.get(FIELD)):
        raise CsrfRejected("the form's security token is missing or out of date")
    return form
