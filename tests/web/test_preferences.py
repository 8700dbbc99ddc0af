"""A person's preferences: language and time zone, stored on the account, used by every page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.models import Account, Post
from hub.services import profiles
from web.preferences import preferences, save_preferences

pytestmark = pytest.mark.db


async def test_preferences_change_language_and_times(web) -> None:
    """Swahili and Nairobi's zone: pages switch language and show times in East Africa Time, named."""
    group = await web.group_with("climate", name="Climate Action")
    await profiles.update_settings(group, by=None, time_zone="Europe/Lisbon")
    author = await web.person("ana")
    await Post.create(group=group, author=author, uri="https://remote.example/notes/1", object_type="Note",
                      thread_uri="https://remote.example/notes/1", visibility="public", state="published",
                      published_at=datetime(2026, 7, 4, 14, 5, tzinfo=UTC), activity_json="{}", language="es",
                      content_html="<p>Hola</p>")
    anonymous = await web.client.get("/groups/climate")
    assert "Jul 4, 2026, 3:05" in anonymous.text and "Western European Summer Time" in anonymous.text
    assert '<article lang="es"' in anonymous.text

    person = await web.person("kamau")
    await web.sign_in(person)
    endpoints = {(route.path, method): route.endpoint for route in web.app.routes for method in getattr(route, "methods", None) or ()}
    assert endpoints[("/preferences", "GET")] is preferences and endpoints[("/preferences", "POST")] is save_preferences
    assert (await web.client.get("/preferences")).status_code == 200
    response = await web.post_form("/preferences", {"language": "sw", "time_zone": "Africa/Nairobi"}, token_from="/preferences")
    assert response.status_code == 303
    stored = await Account.get(id=person.id)
    assert (stored.language, stored.time_zone) == ("sw", "Africa/Nairobi")
    page = await web.client.get("/groups/climate", headers={"Accept-Language": "de"})
    assert '<html lang="sw" dir="ltr">' in page.text
    assert "4 Jul 2026 17:05 (Saa za Afrika Mashariki)" in page.text


async def test_bad_preferences_are_refused_and_nothing_changes(web) -> None:
    """An unknown language or zone: 400 with the form and a message; the account keeps what it had."""
    person = await web.person("kamau")
    await web.sign_in(person)
    response = await web.post_form("/preferences", {"language": "tlh", "time_zone": "Africa/Nairobi"}, token_from="/preferences")
    assert response.status_code == 400 and "Choose a language and a time zone from the lists." in response.text
    stored = await Account.get(id=person.id)
    assert stored.language is None and stored.time_zone is None
    assert (await web.client.get("/preferences", follow_redirects=False)).status_code == 200


async def test_preferences_need_a_signed_in_person(web) -> None:
    """Anonymous visitors are sent to sign in."""
    response = await web.client.get("/preferences", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
