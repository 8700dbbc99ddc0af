"""Direct messages from a group (or the instance actor) to one remote account, in that person's language.

Every feature that writes to a person goes through :func:`direct_message`: the text is either already
written (a string) or a function of the person's translations, language and time zone (a
:data:`Compose`), called once the person is known, so that sign-up confirmations, reminders,
notices and what waits for organisers reach each person in their own language
(hub.languages.language_for: their choice, the language their posts carry, the group's).
The note is Mastodon's direct-message form (federation.activities.direct_note), sent to the
person's own inbox only.
"""

from __future__ import annotations

import gettext
import inspect
from collections.abc import Awaitable, Callable

from federation import activities
from federation.context import Federation
from federation.delivery import enqueue
from hub.languages import language_for
from hub.models import Group, RemoteActor

Compose = Callable[[gettext.NullTranslations, str, str | None], str | Awaitable[str]]
"""Writes the message from (translations, language code, the reader's time zone or None)."""


async def direct_message(fed: Federation, group: Group | None, account_id: int, text: str | Compose, link: str | None,
                         *, language: str | None = None, from_instance: bool = False, sender: str | None = None) -> bool:
    """Send ``text`` from ``group`` (the instance actor when None or ``from_instance``) to the remote account
    ``account_id``; the group's language is the fallback of a :data:`Compose`'s reader. ``sender`` names another
    local actor to send from (the notices actor, for software that takes no messages from a Group).

    Nothing is sent to a local account or one whose actor is gone; returns whether a message was queued.
    ``language`` names the language of a text already written (it is found for a :data:`Compose`).
    """
    actor = await RemoteActor.get_or_none(account_id=account_id, gone=False).prefetch_related("account")
    if actor is None:
        return False
    if callable(text):
        language = await language_for(actor.account, group)
        written = text(fed.catalogs.get(language), language, actor.account.time_zone)
        text = await written if inspect.isawaitable(written) else written
    if sender is None:
        sender = fed.urls.group(group.slug) if group is not None and not from_instance else fed.urls.instance_actor
    note = activities.direct_note(fed.urls, sender, sender, to=actor.uri, handle=actor.account.handle, text=text,
                                  link=link, language=language)
    await enqueue(note, actor_uri=sender, inboxes=[actor.inbox])
    return True
