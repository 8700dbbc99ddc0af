"""Languages the hub speaks, the catalogues it speaks them from, and which one to use for a person.

Everything the hub writes (pages, and the direct messages it sends: sign-in links, confirmations,
alerts) goes through gettext. The catalogues live in ``hub/locale/<lang>/LC_MESSAGES/causeway.po``
with their compiled ``.mo`` beside them (``make catalogues`` extracts, updates and compiles them);
their plural rules are CLDR's, written by Babel.

A person's language is, in order: the preference stored on their account, else the language their
posts carry (``contentMap`` keys, Mastodon's ``language``), else a caller's fallback (the browser's
language when they ask for a sign-in link), else the group's language, else English. Codes the hub
does not speak are ignored with a log line.
"""

from __future__ import annotations

import gettext
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from hub.models import Account, Group, Post

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "causeway"
DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {
    "en": "English", "es": "Español", "pt": "Português", "de": "Deutsch", "sw": "Kiswahili", "ar": "العربية",
}
"""Supported languages: code -> the language's name in itself (shown in the switch and the settings)."""
RIGHT_TO_LEFT = frozenset({"ar"})
"""Languages written right to left: their pages carry ``dir="rtl"``."""
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
log = logging.getLogger("causeway.languages")
ENGLISH = gettext.NullTranslations()
"""The source language's translations (the identity), for callers without the catalogues."""


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, in the reader's language."""
    return message


def primary(tag: str | None) -> str:
    """The primary subtag of a BCP 47 tag, lower case (``pt-BR`` -> ``pt``); empty for nothing."""
    return (tag or "").strip().replace("_", "-").split("-")[0].lower()


def supported(tag: str | None, *, source: str = "") -> str | None:
    """The supported language a tag names (``es-AR`` -> ``es``), else None; an unknown code is logged."""
    if not tag:
        return None
    code = primary(tag)
    if code in LANGUAGES:
        return code
    log.info("language ignored code=%r source=%s", str(tag)[:40], source or "unknown")
    return None


def check_language(code: str) -> str:
    """``code`` when it is a supported language, else ValueError naming the supported ones (for settings)."""
    if code in LANGUAGES:
        return code
    raise ValueError(f"language {code!r} is not one of {', '.join(LANGUAGES)}")


def is_tag(tag: str) -> bool:
    """Whether ``tag`` looks like a BCP 47 language tag (what ``contentMap`` keys must be)."""
    return bool(_TAG.fullmatch(tag or "")) and len(tag) <= 16


def direction(code: str) -> str:
    """``rtl`` for languages written right to left, else ``ltr``."""
    return "rtl" if primary(code) in RIGHT_TO_LEFT else "ltr"


@dataclass(frozen=True)
class Catalogs:
    """The loaded translations, one per supported language (English is the identity)."""

    translations: dict[str, gettext.NullTranslations]

    @classmethod
    def load(cls, locale_dir: Path = LOCALE_DIR) -> Catalogs:
        """Read every supported language's compiled catalogue (a missing one falls back to English)."""
        loaded: dict[str, gettext.NullTranslations] = {}
        for code in LANGUAGES:
            loaded[code] = gettext.translation(DOMAIN, localedir=str(locale_dir), languages=[code], fallback=True)
        return cls(loaded)

    def get(self, code: str | None) -> gettext.NullTranslations:
        """The translations of ``code`` (English for anything unknown)."""
        return self.translations.get(code or "") or self.translations[DEFAULT_LANGUAGE]


async def written_language(account: Account) -> str | None:
    """The supported language of the account's latest post that says its language, if any."""
    tags = await Post.filter(author_id=account.id, language__not_isnull=True).order_by("-id").limit(5).values_list(
        "language", flat=True)
    for tag in tags:
        code = supported(tag, source=f"post by account {account.id}")
        if code:
            return code
    return None


async def language_for(account: Account | None, group: Group | None = None, *, fallback: str | None = None) -> str:
    """The language to write to ``account`` in: their preference, their posts', ``fallback``, the group's, English."""
    if account is not None:
        chosen = supported(account.language, source=f"account {account.id}") if account.language else None
        if chosen:
            return chosen
        written = await written_language(account)
        if written:
            return written
    for candidate in (fallback, group.language if group is not None else None):
        code = supported(candidate, source="fallback") if candidate else None
        if code:
            return code
    return DEFAULT_LANGUAGE
