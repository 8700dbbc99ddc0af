"""Languages: every catalogue complete, compiled, with CLDR's plural forms; a person's language chosen in order."""

from __future__ import annotations

import functools
import gettext
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from hub.languages import (
    DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, RIGHT_TO_LEFT, Catalogs, direction, language_for, supported,
)
from hub.models import Account, Group, Post
from hub.services import accounts

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
HOW = "run `make catalogues`, translate the new entries, run it again (see hub/locale/README.md)"


@functools.cache
def source_messages() -> frozenset[str | tuple[str, str]]:
    """Every message hub/, federation/ and web/ pass through gettext, extracted as babel.cfg says."""
    method_map = [("hub/**.py", "python"), ("federation/**.py", "python"), ("web/**.py", "python"),
                  ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options, keywords=keywords,
        directory_filter=lambda path: not Path(path).name.startswith((".", "_")) and "node_modules" not in path,
    ):
        found.add(message)
    return frozenset(found)


def catalogue(lang: str):
    """The parsed .po of a language."""
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "causeway.po", "rb") as handle:
        return read_po(handle)


def test_six_languages_one_right_to_left_and_one_outside_europes_scripts() -> None:
    """The hub speaks at least six languages, Arabic among them (written right to left), and Swahili."""
    assert len(LANGUAGES) >= 6 and {"en", "es", "pt", "de", "sw", "ar"} <= set(LANGUAGES)
    assert RIGHT_TO_LEFT == {"ar"} and direction("ar") == "rtl" and direction("ar-EG") == "rtl" and direction("sw") == "ltr"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    """Each extracted message is in the catalogue, translated (every plural form), with only its own placeholders."""
    messages = source_messages()
    assert len(messages) > 400
    found = catalogue(lang)
    missing, untranslated, mismatched = [], [], []
    for message in messages:
        entry = found.get(message)
        if entry is None:
            missing.append(message)
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = message if isinstance(message, tuple) else (message,)
        if not all(strings):
            untranslated.append(message)
        wanted = {name for text in ids for name in PLACEHOLDER.findall(text)}
        if any(set(PLACEHOLDER.findall(text)) - wanted for text in strings):
            mismatched.append(message)
    assert missing == [], f"{len(missing)} messages are not in the {lang} catalogue ({HOW}): {sorted(map(str, missing))[:10]}"
    assert untranslated == [], f"{len(untranslated)} messages lack a {lang} translation ({HOW}): {untranslated[:10]}"
    assert mismatched == [], f"{lang} translations use placeholders their message lacks: {mismatched}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_plural_forms_follow_cldr(lang: str) -> None:
    """The catalogue has one plural form per CLDR category, and its rule puts numbers where CLDR does."""
    locale = Locale.parse(lang)
    categories = sorted(locale.plural_form.tags | {"other"})
    compiled = gettext.translation("causeway", localedir=str(LOCALE_DIR), languages=[lang])
    assert catalogue(lang).num_plurals == len(categories)
    index_of: dict[str, int] = {}
    for n in [*range(0, 1000), 1_000_000, 2_000_000]:
        category = locale.plural_form(n)
        index = compiled.plural(n)
        assert index_of.setdefault(category, index) == index, f"{lang}: {n} is {category} in CLDR but form {index}"
    assert len(set(index_of.values())) == len(index_of)


def test_arabic_has_six_plural_forms_each_its_own() -> None:
    """Arabic: zero, one, two, few, many, other — six different member counts."""
    arabic = Catalogs.load().get("ar")
    forms = [arabic.ngettext("%(count)s member", "%(count)s members", n) % {"count": n} for n in (0, 1, 2, 3, 11, 100)]
    assert len(set(forms)) == 6
    assert forms[1] == "عضو واحد" and forms[2] == "عضوان" and forms[3] == "3 أعضاء" and forms[4] == "11 عضوًا"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_compiled_catalogues_match_their_sources(lang: str) -> None:
    """The committed .mo holds exactly the .po's translations (`make catalogues` compiles them)."""
    source = catalogue(lang)
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "causeway.mo", "rb") as handle:
        compiled = read_mo(handle)

    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    expected = {key(m.id): key(m.string) for m in source
                if m.id and any(m.string if isinstance(m.string, tuple) else [m.string]) and key(m.string) != key(m.id)}
    actual = {key(m.id): key(m.string) for m in compiled if m.id and key(m.string) != key(m.id)}
    assert actual == expected


def test_translations_load_for_every_language() -> None:
    """The catalogues load; the sign-in message reads naturally in each language."""
    catalogs = Catalogs.load()
    message = "Your sign-in link for Causeway at %(domain)s. It works once, for 15 minutes. If you did not ask for it, ignore this message."
    assert catalogs.get("es").gettext(message).startswith("Tu enlace")
    assert catalogs.get("de").gettext(message).startswith("Dein Anmeldelink")
    assert catalogs.get("pt").gettext(message).startswith("A sua ligação")
    assert catalogs.get("sw").gettext(message).startswith("Kiungo chako")
    assert catalogs.get("ar").gettext(message).startswith("رابط")
    assert catalogs.get("xx").gettext(message) == message


def test_unknown_codes_are_ignored_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """``es-AR`` is Spanish; ``tlh`` is not spoken here and is logged."""
    assert supported("es-AR") == "es" and supported("PT_br") == "pt"
    with caplog.at_level(logging.INFO, logger="causeway.languages"):
        assert supported("tlh", source="test") is None
    assert "language ignored code='tlh' source=test" in caplog.text


async def _post(author: Account, group: Group, language: str | None, n: int) -> Post:
    return await Post.create(group=group, author=author, uri=f"https://remote.example/notes/{n}", object_type="Note",
                             thread_uri=f"https://remote.example/notes/{n}", visibility="public", state="published",
                             published_at=datetime.now(UTC), activity_json="{}", language=language)


@pytest.mark.db
async def test_a_persons_language_in_order(db, reuse_rsa_key_pair) -> None:
    """Preference, else the language of their latest posts, else the caller's fallback, else the group's, else English."""
    from hub.services.groups import create_group

    group = await create_group("lisboa", "Lisboa")
    person = await accounts.remote_account("https://remote.example/users/ana", handle="ana@remote.example")
    assert await language_for(person, group) == "en"
    group.language = "pt"
    assert await language_for(person, group) == "pt"
    assert await language_for(person, group, fallback="de") == "de"
    await _post(person, group, "tlh", 1)
    await _post(person, group, "es-MX", 2)
    assert await language_for(person, group, fallback="de") == "es"
    await _post(person, group, "klingon-unknown", 3)
    assert await language_for(person, group) == "es"
    await accounts.set_preferences(person, language="ar", time_zone="Africa/Nairobi")
    assert await language_for(await Account.get(id=person.id), group) == "ar"


@pytest.mark.db
async def test_preferences_refuse_unknown_values(db) -> None:
    """An unknown language or zone is refused with what is accepted; nothing is stored."""
    from hub.errors import InvalidInput

    person = await accounts.remote_account("https://remote.example/users/bo", handle="bo@remote.example")
    with pytest.raises(InvalidInput, match="not one of en, es"):
        await accounts.set_preferences(person, language="xx", time_zone=None)
    with pytest.raises(InvalidInput, match="IANA"):
        await accounts.set_preferences(person, language="es", time_zone="Mars/Olympus")
    stored = await Account.get(id=person.id)
    assert stored.language is None and stored.time_zone is None
