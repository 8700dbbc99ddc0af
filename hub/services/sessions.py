"""Server-side sign-in sessions: started on sign-in, looked up on every signed-in request, ended on sign-out.

The browser's cookie carries only a random token; the server keeps its SHA-256 in a
:class:`~hub.models.Session` row with the device's User-Agent, when it started and when it was last
used. Ending a session deletes the row, so a copied or old cookie stops working at once (before,
the account id in the signed cookie stayed valid until the cookie's own 14-day expiry).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from hub import rows
from hub.clock import now
from hub.errors import NotFound
from hub.models import Account, Session

LIFETIME = timedelta(days=14)
"""A session ends this long after it started, whatever its use."""
TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session (one UPDATE a minute, not one per page)."""
USER_AGENT_LIMIT = 300


@dataclass(frozen=True)
class Started:
    """A new session: its row and the token for the cookie (never stored on the server)."""

    session: Session
    token: str


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start(account: Account, *, user_agent: str = "") -> Started:
    """Start a session for ``account`` from a browser described by ``user_agent``."""
    token = secrets.token_urlsafe(32)
    moment = now()
    row = await Session.create(
        account=account, token_hash=token_hash(token), user_agent=" ".join((user_agent or "").split())[:USER_AGENT_LIMIT],
        last_seen_at=moment, expires_at=moment + LIFETIME,
    )
    return Started(row, token)


async def resume(token: object) -> tuple[Session, Account] | None:
    """The live session a cookie's token names and its account, or None (unknown, ended or expired).

    Marks the session as seen when it was last seen more than :data:`TOUCH_EVERY` ago.
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    found = await rows.select(_resume(), [token_hash(token)])
    moment = now()
    if not found:
        return None
    row, account = rows.build(Session, found[0], "s"), rows.build(Account, found[0], "a")
    rows.attach(row, "account", account)
    if row.expires_at <= moment:
        await Session.filter(id=row.id).delete()
        return None
    if moment - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = moment
        await Session.filter(id=row.id).update(last_seen_at=moment)
    return row, account


@rows.statement
def _resume() -> str:
    """The session with its account in one statement (hub.rows: written once, not built per request)."""
    return (f"SELECT {rows.columns(Session, 's')}, {rows.columns(Account, 'a')} FROM sessions s "
            "JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?")


async def end(token: object) -> bool:
    """End the session a cookie's token names (signing out); whether there was one."""
    if not isinstance(token, str) or not token:
        return False
    return bool(await Session.filter(token_hash=token_hash(token)).delete())


async def end_one(account: Account, session_id: int) -> None:
    """End one of ``account``'s own sessions (from the member's page); NotFound for anyone else's."""
    if not await Session.filter(id=session_id, account=account).delete():
        raise NotFound("no such session of yours: it may have ended already")


async def end_others(account: Account, *, keep: Session | None) -> int:
    """End every session of ``account`` but ``keep``; how many ended."""
    query = Session.filter(account=account)
    if keep is not None:
        query = query.exclude(id=keep.id)
    return await query.delete()


async def list_for(account: Account) -> list[Session]:
    """``account``'s live sessions, most recently used first (read on every visit of the member's home: hub.rows)."""
    return [rows.build(Session, row, "s") for row in await rows.select(_sessions(), [account.id, rows.stored(Session, "expires_at", now())])]


@rows.statement
def _sessions() -> str:
    """An account's live sessions (the expired ones stay until their cookie comes back: resume deletes them)."""
    return (f"SELECT {rows.columns(Session, 's')} FROM sessions s WHERE s.account_id = ? AND s.expires_at > ? "
            "ORDER BY s.last_seen_at DESC, s.id DESC")
