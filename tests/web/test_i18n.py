"""Languages: Spanish and English catalogs complete and compiled, chosen from Accept-Language or the switch."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web.i18n import LANGUAGES, negotiate, parse_accept_language, safe_next

WEB = Path(__file__).resolve().parents[2] / "web"
LOCALE = WEB / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_messages() -> set[str | tuple[str, str]]:
    """Every message the web layer's Python and templates pass through gettext (as pybabel extracts them)."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(WEB), method_map=method_map, options_map=options, keywords=keywords
    ):
        found.add(message)
    return found


def catalog(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "causeway.po", "rb") as handle:
        return read_po(handle)


def test_every_message_has_a_spanish_translation() -> None:
    """Each extracted message is in the Spanish catalog, translated, with the same placeholders."""
    messages = source_messages()
    assert len(messages) > 200
    spanish = catalog("es")
    missing, untranslated, mismatched = [], [], []
    for message in messages:
        entry = spanish.get(message)
        if entry is None:
            missing.append(message)
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = message if isinstance(message, tuple) else (message,)
        if not all(strings):
            untranslated.append(message)
        wanted = {name for text in ids for name in PLACEHOLDER.findall(text)}
        for text in strings:
            if {name for name in PLACEHOLDER.findall(text)} - wanted:
                mismatched.append(message)
    how = "see web/locale/README.md: extract, update, translate into Spanish, compile"
    assert missing == [], f"{len(missing)} messages are not in the catalogs ({how}): {sorted(map(str, missing))[:20]}"
    assert untranslated == [], f"{len(untranslated)} messages lack a Spanish translation ({how}): {untranslated[:20]}"
    assert mismatched == [], f"translations use placeholders their message lacks: {mismatched}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_compiled_catalogs_match_their_sources(lang: str) -> None:
    """The committed .mo holds exactly the .po's translations (recompile after editing a .po)."""
    source = catalog(lang)
    with open(LOCALE / lang / "LC_MESSAGES" / "causeway.mo", "rb") as handle:
        compiled = read_mo(handle)
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    expected = {key(m.id): key(m.string) for m in source
                if m.id and any(m.string if isinstance(m.string, tuple) else [m.string]) and key(m.string) != key(m.id)}
    actual = {key(m.id): key(m.string) for m in compiled if m.id and key(m.string) != key(m.id)}
    assert actual == expected


def test_spanish_translations_load() -> None:
    """The gettext machinery finds the Spanish catalog."""
    spanish = gettext.translation("causeway", localedir=str(LOCALE), languages=["es"])
    assert spanish.gettext("Join from your instance") == "Únete desde tu instancia"
    assert spanish.ngettext("%(count)s member", "%(count)s members", 3) == "%(count)s miembros"


@pytest.mark.parametrize(("header", "expected"), [
    ("es-ES,es;q=0.9,en;q=0.8", "es"),
    ("fr-FR, fr;q=0.9, es;q=0.5", "es"),
    ("de, en;q=0.5, es;q=0.7", "es"),
    ("es;q=0, en", "en"),
    ("", "en"),
    ("*", "en"),
    ("xx, yy;q=bogus", "en"),
])
def test_negotiation(header: str, expected: str) -> None:
    """Accept-Language is ranked by quality; unknown languages fall back to English."""
    assert negotiate(None, header) == expected


def test_cookie_wins_and_bad_cookies_are_ignored() -> None:
    """The switch's cookie beats Accept-Language; an unknown value is ignored."""
    assert negotiate("en", "es") == "en"
    assert negotiate("klingon", "es") == "es"
    assert parse_accept_language("en;q=0.1, es") == ["es", "en"]


@pytest.mark.parametrize(("target", "safe"), [
    ("/groups/climate?x=1", "/groups/climate?x=1"), ("//evil.example/", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("", "/"), (None, "/"),
])
def test_safe_next(target, safe) -> None:
    """The switch only goes back to local paths."""
    assert safe_next(target) == safe


@pytest.mark.db
async def test_pages_follow_accept_language(web) -> None:
    """A Spanish browser gets Spanish pages, with lang="es" and Content-Language."""
    await web.group_with("climate", name="Climate Action")
    page = await web.client.get("/groups/climate", headers={"Accept-Language": "es-AR,es;q=0.9"})
    assert '<html lang="es" dir="ltr">' in page.text and page.headers["content-language"] == "es"
    assert "Únete desde tu instancia" in page.text and "0 miembros" in page.text
    assert "Join from your instance" not in page.text
    english = await web.client.get("/groups/climate", headers={"Accept-Language": "en-GB"})
    assert "Join from your instance" in english.text and "Accept-Language" in english.headers["vary"]


@pytest.mark.db
async def test_language_switch(web) -> None:
    """The switch sets a cookie and goes back; it beats Accept-Language afterwards; errors are translated too."""
    await web.group_with("climate")
    response = await web.client.get("/language/es", params={"next": "/groups/climate"})
    assert response.status_code == 303 and response.headers["location"] == "/groups/climate"
    assert "lang=es" in response.headers["set-cookie"]
    page = await web.client.get("/groups/climate", headers={"Accept-Language": "en"})
    assert '<html lang="es" dir="ltr">' in page.text
    assert 'hreflang="en"' in page.text and 'aria-current="true" lang="es"' in page.text
    bad = await web.post_form("/groups/climate/join", {"handle": "nope"}, token_from="/groups/climate")
    assert "no es un identificador del fediverso" in bad.text
    missing = await web.client.get("/groups/none")
    assert "No encontrado" in missing.text
    evil = await web.client.get("/language/en", params={"next": "//evil.example/x"})
    assert evil.headers["location"] == "/"
