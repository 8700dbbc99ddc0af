"""Refusals explained: Mastodon shows no Reject, so a person whose post the group did not share is told why.

One short direct message from the group says why and what to do, at most once a day per person,
group and reason (:data:`QUIET_FOR`), whatever the number of refused posts. Reasons:

- ``not_member``: only members' posts are shared — follow the group to join;
- ``pending``: the request to join still waits for the organisers;
- ``banned``: the person is banned from the group;
- ``members_only``: a members-only (private) group, and the person is not a member;
- ``moderators_only``: only the group's moderators post to it;
- ``held``: the post waits for the organisers' approval (shared once approved).

Event recorded: ``refusal.explained`` {account_id, reason, text}; the federation layer sends the
direct message, in the person's language, with a link to the group's page.
"""

from __future__ import annotations

import gettext
from datetime import timedelta

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.languages import ENGLISH, N_
from hub.models import Account, Group, RefusalNotice
from hub.services import events

QUIET_FOR = timedelta(days=1)
"""How long after one explanation the same person gets no other for the same group and reason."""

REASONS: dict[str, str] = {
    "not_member": N_("Your post was not shared by %(name)s: only members' posts are shared. "
                     "Follow the group to join, then post again."),
    "pending": N_("Your post was not shared by %(name)s: your request to join still waits for the organisers. "
                  "You will get an answer; post again once you are a member."),
    "banned": N_("Your post was not shared by %(name)s: you are banned from this group. "
                 "Write to its organisers if you think this is a mistake."),
    "members_only": N_("Your post was not shared by %(name)s: this is a members-only group. "
                       "Follow the group to ask to join; posts are shared once the organisers accept you."),
    "moderators_only": N_("Your post was not shared by %(name)s: only the group's moderators post to it. "
                          "Reply to the group's posts, or write to its organisers."),
    "held": N_("Your post to %(name)s is held for approval: the organisers check a new member's first post before "
               "it is shared. Nothing to do: it is shared once they approve it."),
}
"""Reason code -> the message (``%(name)s``: the group's name); each says why and what to do. Sent in the
person's language (:func:`hub.languages.language_for`)."""


def explanation(group: Group, reason: str, translations: gettext.NullTranslations = ENGLISH) -> str:
    """The direct message text for ``reason`` in the language of ``translations`` (KeyError for an unknown code)."""
    return translations.gettext(REASONS[reason]) % {"name": group.name}


async def explain(group: Group, account: Account, reason: str) -> bool:
    """Tell ``account`` why the group did not share their post, unless they were told so in the last day; whether sent.

    Local accounts (groups, admins) have no inbox to tell. Call inside the transaction that refused the post.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown refusal reason {reason!r}")
    if account.is_local:
        return False
    moment = now()
    async with in_transaction():
        notice = await RefusalNotice.get_or_none(group=group, account=account, reason=reason)
        if notice is not None and moment - notice.sent_at < QUIET_FOR:
            return False
        if notice is None:
            await RefusalNotice.create(group=group, account=account, reason=reason, sent_at=moment)
        else:
            # Only one of two concurrent refusals moves the time on (the other sees no row to update).
            moved = await RefusalNotice.filter(id=notice.id, sent_at=notice.sent_at).update(sent_at=moment)
            if not moved:
                return False
        await events.record("refusal.explained", group, account_id=account.id, reason=reason, text=explanation(group, reason))
    return True
