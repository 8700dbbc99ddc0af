"""“Join from your instance”: subscribe templates by WebFinger, the search hint, clear errors."""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.db


async def test_redirects_to_the_subscribe_template(web) -> None:
    """A handle whose server has a subscribe template goes there with the group's URI."""
    await web.group_with("climate")
    web.remote.person("alice")
    response = await web.post_form("/groups/climate/join", {"handle": "@alice@social.example"}, token_from="/groups/climate")
    assert response.status_code == 303
    group_uri = "http://127.0.0.1:8123/groups/climate"
    assert response.headers["location"] == f"https://social.example/authorize_interaction?uri={quote(group_uri, safe='')}"
    lookup = web.remote.requests[-1]
    assert lookup.url.path == "/.well-known/webfinger" and lookup.url.params["resource"] == "acct:alice@social.example"


async def test_server_without_template_gets_a_search_hint(web) -> None:
    """Without a template, the page says what to search for."""
    await web.group_with("climate")
    web.remote.person("bob", subscribe=False)
    response = await web.post_form("/groups/climate/join", {"handle": "bob@social.example"}, token_from="/groups/climate")
    assert response.status_code == 200
    assert "does not offer" in response.text and "search for <strong>@climate@127.0.0.1:8123</strong>" in response.text


@pytest.mark.parametrize("handle", ["", "alice", "https://social.example/@alice", "@al ice@social.example", "@alice@"])
async def test_malformed_handles(web, handle: str) -> None:
    """A malformed handle is refused with a clear error, and no request leaves the hub."""
    await web.group_with("climate")
    response = await web.post_form("/groups/climate/join", {"handle": handle}, token_from="/groups/climate")
    assert response.status_code == 400
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text
    assert web.remote.requests == []


async def test_unreachable_server(web) -> None:
    """An unreachable server is named in the error."""
    await web.group_with("climate")
    web.remote.down.add("down.example")
    response = await web.post_form("/groups/climate/join", {"handle": "@carol@down.example"}, token_from="/groups/climate")
    assert response.status_code == 502
    assert "could not reach down.example" in response.text


async def test_join_needs_csrf(web) -> None:
    """The join form is refused without the CSRF token."""
    await web.group_with("climate")
    web.remote.person("alice")
    response = await web.client.post("/groups/climate/join", data={"handle": "@alice@social.example"})
    assert response.status_code == 403
    assert web.remote.requests == []
