"""Signing in: who may, single-use links sent by direct message, and the accounts sessions point at.

Organisers are usually fediverse accounts with no password here. They ask for a link; the hub
stores only the SHA-256 of a random token (:class:`~hub.models.LoginToken`), sends the link to the
account as a direct message (:func:`hub.services.notices.send_notice`) and signs in whoever opens it
within 15 minutes, once. Requests are limited per account and per address, counted from the
LoginToken rows themselves, so the limits hold across processes and restarts. Administrators sign
in with a password (:func:`password_sign_in`), throttled per user name and address.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import NotFound, PermissionDenied, RateLimited
from hub.models import Account, LoginToken, Membership
from hub.services import accounts, login_attempts, notices
from hub.services.members import MODERATOR_ROLES

LINK_LIFETIME = timedelta(minutes=15)
PER_ACCOUNT_LIMIT = 3
"""Links one account may be sent per :data:`PER_ACCOUNT_WINDOW`."""
PER_ACCOUNT_WINDOW = timedelta(minutes=15)
PER_ADDRESS_LIMIT = 10
"""Links one address may ask for per :data:`PER_ADDRESS_WINDOW`, whatever the accounts."""
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
    """Whether the account has something to do here: an admin, a group's moderator or more, or anyone under open creation."""
    if account.is_admin or open_group_creation:
        return True
    return await Membership.filter(account=account, state="accepted", role__in=list(MODERATOR_ROLES)).exists()


async def request_link(
    account: Account,
    *,
    address: str,
    link_for: Callable[[str], str],
    text: str,
    open_group_creation: bool,
) -> LoginToken:
    """Create a sign-in token for a remote account and queue the direct message carrying ``link_for(token)``.

    Raises PermissionDenied for local accounts (they use their password) and for accounts that may not
    sign in (see :func:`may_sign_in`), RateLimited when the account or the address asked too often.
    """
    if account.is_local:
        raise PermissionDenied("local accounts sign in with their password")
    if not await may_sign_in(account, open_group_creation=open_group_creation):
        raise PermissionDenied("this account organises no group here")
    moment = now()
    address = (address or "unknown")[:64]
    async with in_transaction():
        recent_for_account = await LoginToken.filter(account=account, created_at__gte=moment - PER_ACCOUNT_WINDOW).count()
        if recent_for_account >= PER_ACCOUNT_LIMIT:
            raise RateLimited("this account was sent several sign-in links in the last 15 minutes; use one of them or wait")
        recent_for_address = await LoginToken.filter(requested_ip=address, created_at__gte=moment - PER_ADDRESS_WINDOW).count()
        if recent_for_address >= PER_ADDRESS_LIMIT:
            raise RateLimited("too many sign-in links were asked for from this address in the last hour; try again later")
        token = secrets.token_urlsafe(32)
        row = await LoginToken.create(
            account=account, token_hash=token_hash(token), requested_ip=address, expires_at=moment + LINK_LIFETIME
        )
        await notices.send_notice(account, text, link=link_for(token))
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


async def session_account(account_id: object) -> Account | None:
    """The account a session names, or None when the id is missing or unknown."""
    if not isinstance(account_id, int):
        return None
    return await Account.get_or_none(id=account_id)
