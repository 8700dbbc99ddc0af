"""Local login accounts (argon2id passwords) and the accounts of remote actors.

Hashing a password takes tens of milliseconds of CPU and 64 MiB by design; it runs in a worker
thread (argon2 releases the GIL), never on the event loop, so sign-in attempts do not hold up
other requests.
"""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import Conflict, InvalidInput
from hub.languages import check_language
from hub.models import Account
from hub.timezones import check_zone

USERNAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password (memory-hard, salted)."""
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_admin(username: str, password: str) -> Account:
    """Create a local administrator account."""
    if not USERNAME_RE.match(username or ""):
        raise InvalidInput("username must be 1-64 letters, digits, '_', '.' or '-'")
    if len(password) < 10:
        raise InvalidInput("password must be at least 10 characters")
    if await Account.filter(username=username).exists():
        raise Conflict(f"an account named {username!r} already exists")
    password_hash = await asyncio.to_thread(hash_password, password)
    return await Account.create(
        uri=f"local:{username}", is_local=True, username=username, password_hash=password_hash, is_admin=True
    )


async def authenticate(username: str, password: str) -> Account | None:
    """The local account for these credentials, or None (the hash is checked in a worker thread)."""
    account = await Account.get_or_none(username=username, is_local=True)
    if account is None or not account.password_hash:
        await asyncio.to_thread(hash_password, password)  # same cost whether or not the name exists
        return None
    return account if await asyncio.to_thread(check_password, account.password_hash, password) else None


async def remote_account(uri: str, *, handle: str | None = None, display_name: str | None = None) -> Account:
    """The account of a remote actor, created on first sight; handle and name refreshed when given."""
    account, created = await Account.get_or_create(uri=uri, defaults={"handle": handle, "display_name": display_name})
    if not created and ((handle and handle != account.handle) or (display_name and display_name != account.display_name)):
        account.handle = handle or account.handle
        account.display_name = display_name or account.display_name
        await account.save(update_fields=["handle", "display_name"])
    return account


async def set_preferences(account: Account, *, language: str | None, time_zone: str | None) -> Account:
    """Store a person's language and time zone (None or empty: none chosen); InvalidInput names what is accepted."""
    language = language or None
    time_zone = time_zone or None
    try:
        if language is not None:
            check_language(language)
        if time_zone is not None:
            check_zone(time_zone)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    account.language, account.time_zone = language, time_zone
    await account.save(update_fields=["language", "time_zone"])
    return account
