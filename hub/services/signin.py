"""Signing in: who may, single-use links sent by direct message, and the accounts sessions point at.

Members and organisers are usually fediverse accounts with no password here. They ask for a link;
the hub stores only the SHA-256 of a random token (:class:`~hub.models.LoginToken`), sends the link
to the account as a direct message (:func:`hub.services.notices.send_notice`) and signs in whoever
opens it within 15 minutes, once. Any accepted member of any group may sign in (and admins, and
anyone under open group creation). Administrators sign in with a password (:func:`password_sign_in`),
throttled per user name and address.

Limits, counted from rows so they hold across processes and restarts:

- per address (:class:`~hub.models.SignInRequest`, charged for *every* request, whoever it names,
  before the handle is looked up): :data:`PER_ADDRESS_LIMIT` an hour, then RateLimited;
- per account: while :data:`PER_ACCOUNT_LIMIT` of its links are unused and unexpired, no further one
  is sent, silently. Strangers who name an organiser therefore cannot lock them out: whenever a
  request of the organiser sends nothing, working links already wait in the organiser's messages.

Requests naming an account that may not sign in get exactly the answer a member's request gets
(:func:`request_link` returns None in both "nothing sent" cases): no membership oracle.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import NotFound, PermissionDenied, RateLimited
from hub.models import Account, LoginToken, Membership, SignInRequest
from hub.services import accounts, login_attempts, notices

LINK_LIFETIME = timedelta(minutes=15)
PER_ACCOUNT_LIMIT = 3
"""Unused, unexpired links an account may hold at once; further requests send nothing."""
PER_ADDRESS_LIMIT = 10
"""Link requests one address may make per :data:`PER_ADDRESS_WINDOW`, whatever the accounts."""
PER_ADDRESS_WINDOW = timedelta(hours=1)


async def password_sign_in(username: str, password: str, *, address: str) -> Account | None:
    """The local account for a user name and password tried from ``address``, or None when they do not match.

    Raises RateLimited (with ``retry_after``) before hashing anything when the user name or the address
    gave too many wrong passwords (:mod:`hub.services.login_attempts`); a wrong password is recorded,
    a right one clears the user name's count at this address.
    """
    await login_attempts.check_allowed(username, address)
    account = await accounts.authenticate(username, password)
    if account is None:
        await login_attempts.record_failure(username, address)
        return None
    await login_attempts.clear_failures(username, address)
    return account


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def may_sign_in(account: Account, *, open_group_creation: bool) -> bool:
    """Whether the account may sign in: an admin, an accepted member of any group, or anyone under open creation."""
    if account.is_admin or open_group_creation:
        return True
    return await Membership.filter(account=account, state="accepted").exists()


async def charge_address(address: str) -> None:
    """Count one link request from ``address``; RateLimited when it asked :data:`PER_ADDRESS_LIMIT` times this hour.

    Called before the handle is looked up, for every request, so the answer cannot depend on who was named.
    """
    address = (address or "unknown")[:64]
    async with in_transaction():
        await SignInRequest.filter(created_at__lt=now() - PER_ADDRESS_WINDOW).delete()  # nothing looks further back
        recent = await SignInRequest.filter(requested_ip=address, created_at__gte=now() - PER_ADDRESS_WINDOW).count()
        if recent >= PER_ADDRESS_LIMIT:
            raise RateLimited("too many sign-in links were asked for from this address in the last hour; try again later")
        await SignInRequest.create(requested_ip=address)


async def request_link(
    account: Account,
    *,
    address: str,
    link_for: Callable[[str], str],
    text: str,
    open_group_creation: bool,
    language: str | None = None,
) -> LoginToken | None:
    """Create a sign-in token for a remote account and queue the direct message carrying ``link_for(token)``.

    ``text`` is written in ``language``, the person's (see :func:`hub.languages.language_for`).

    Returns None, sending nothing, when the account may not sign in (see :func:`may_sign_in`) or already
    holds :data:`PER_ACCOUNT_LIMIT` working links: callers answer both like a sent link. Raises
    PermissionDenied for local accounts (they use their password; their names are not secret).
    The address is charged separately by :func:`charge_address`.
    """
    if account.is_local:
        raise PermissionDenied("local accounts sign in with their password")
    if not await may_sign_in(account, open_group_creation=open_group_creation):
        return None
    moment = now()
    address = (address or "unknown")[:64]
    async with in_transaction():
        working = await LoginToken.filter(account=account, used_at__isnull=True, expires_at__gt=moment).count()
        if working >= PER_ACCOUNT_LIMIT:
            return None
        token = secrets.token_urlsafe(32)
        row = await LoginToken.create(
            account=account, token_hash=token_hash(token), requested_ip=address, expires_at=moment + LINK_LIFETIME
        )
        await notices.send_notice(account, text, link=link_for(token), language=language)
    return row


async def pending_link(token: str) -> Account:
    """The account a still valid (unused, unexpired) link signs in as, without using it; NotFound otherwise."""
    row = await LoginToken.get_or_none(token_hash=token_hash(token or "")).prefetch_related("account")
    if row is None or row.used_at is not None or row.expires_at <= now():
        raise NotFound("this sign-in link is unknown, used or expired; ask for a new one")
    return row.account


async def redeem_link(token: str) -> Account:
    """Use a link: mark it used (exactly once, even under concurrent requests) and return its account."""
    digest = token_hash(token or "")
    moment = now()
    used = await LoginToken.filter(token_hash=digest, used_at__isnull=True, expires_at__gt=moment).update(used_at=moment)
    if used != 1:
        raise NotFound("this sign-in link is unknown, used or expired; ask for a new one")
    row = await LoginToken.get(token_hash=digest).prefetch_related("account")
    return row.account
