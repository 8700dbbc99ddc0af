"""Languages of pages: chosen from the account, the switch or Accept-Language; right-to-left pages (catalogues: tests/hub/test_languages.py)."""

from __future__ import annotations

import gettext
import logging

import pytest

from hub.languages import LOCALE_DIR
from hub.models import Account
from web.i18n import negotiate, parse_accept_language, safe_next

LOCALE = LOCALE_DIR


def test_spanish_translations_load() -> None:
    """The gettext machinery finds the Spanish catalog."""
    spanish = gettext.translation("causeway", localedir=str(LOCALE), languages=["es"])
    assert spanish.gettext("Join from your instance") == "Únete desde tu instancia"
    assert spanish.ngettext("%(count)s member", "%(count)s members", 3) == "%(count)s miembros"
    assert spanish.ngettext("%(count)s member", "%(count)s members", 1_000_000) == "%(count)s de miembros"


@pytest.mark.parametrize(("header", "expected"), [
    ("es-ES,es;q=0.9,en;q=0.8", "es"),
    ("fr-FR, fr;q=0.9, es;q=0.5", "es"),
    ("de, en;q=0.5, es;q=0.7", "de"),
    ("ja, es;q=0.7", "es"),
    ("ar-EG", "ar"),
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


@pytest.mark.db
async def test_arabic_pages_are_right_to_left(web) -> None:
    """An Arabic page says lang="ar" dir="rtl" and is in Arabic; a post keeps its own lang."""
    await web.group_with("climate", name="Climate Action")
    page = await web.client.get("/groups/climate", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text and "انضم من خادمك" in page.text


@pytest.mark.db
async def test_switch_stores_the_signed_in_persons_language_and_ignores_unknown_codes(web, caplog) -> None:
    """Signed in, the switch also stores the preference (it then beats the cookie); an unknown code is logged."""
    await web.group_with("climate")
    person = await web.person("ana")
    await web.sign_in(person)
    await web.client.get("/language/sw", params={"next": "/groups/climate"})
    assert (await Account.get(id=person.id)).language == "sw"
    web.client.cookies.delete("lang")
    page = await web.client.get("/groups/climate", headers={"Accept-Language": "de"})
    assert '<html lang="sw" dir="ltr">' in page.text
    with caplog.at_level(logging.INFO, logger="causeway.web"):
        response = await web.client.get("/language/xx", params={"next": "/"})
    assert response.status_code == 303 and "language ignored code='xx' source=switch" in caplog.text
    assert (await Account.get(id=person.id)).language == "sw"
