"""Telling an account something it must act on: a direct message the federation layer delivers.

Mastodon ignores Invite and has no notion of sign-in links, so anything a person must read goes
out as a plain direct message (a Note addressed only to them) with a link.
"""

from __future__ import annotations

from hub.models import Account, Group
from hub.services import events


async def send_notice(
    account: Account, text: str, *, link: str | None = None, sender: Group | None = None, language: str | None = None,
) -> None:
    """Queue a direct message to ``account`` from ``sender`` (a group) or, when None, the instance actor.

    ``text`` is already in the person's language (:func:`hub.languages.language_for`), named by ``language``.
    """
    await events.record("notice.direct", sender, account_id=account.id, text=text, link=link, language=language)
