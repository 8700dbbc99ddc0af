"""Signing in: the admin's password, one-time links by direct message, rate limits, cookies, sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.models import Event, LoginToken
from hub.services import signin

pytestmark = pytest.mark.db


def sent_links(events: list[Event]) -> list[str]:
    """The links of queued direct-message notices."""
    return [e.payload["link"] for e in events if e.kind == "notice.direct"]


async def test_admin_signs_in_with_password(web) -> None:
    """A local admin signs in with the password; the session cookie is HttpOnly and SameSite=Lax."""
    admin = await web.admin()
    response = await web.post_form("/login/password", {"username": "admin", "password": "correct horse battery staple"})
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"].lower()
    assert "causeway_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    console = await web.client.get("/console")
    assert console.status_code == 200 and "Signed in as admin" in console.text
    assert admin.is_admin


async def test_wrong_password(web) -> None:
    """A wrong password re-shows the form with an error and no session."""
    await web.admin()
    response = await web.post_form("/login/password", {"username": "admin", "password": "nope nope nope"})
    assert response.status_code == 401 and "do not match" in response.text
    assert (await web.client.get("/console")).status_code == 303


async def test_secure_cookie_under_https(web_factory) -> None:
    """Under https the session cookie is Secure."""
    hub = await web_factory(HUB_SCHEME="https")
    response = await hub.client.get("/login")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_link_flow_for_an_organiser(web) -> None:
    """An organiser types their handle; a DM with a link is queued; opening it asks to confirm; confirming signs in once."""
    # Given alice owns a group
    alice_uri = web.remote.person("alice")
    # (her account is created when the hub fetches her actor)
    response = await web.post_form("/login/link", {"handle": "@alice@social.example"})
    assert response.status_code == 200 and "Check your messages" in response.text
    # Alice organises nothing yet: nothing is sent, but the page says the same
    assert sent_links(await Event.filter(kind="notice.direct")) == []
    from hub.models import Account
    alice = await Account.get(uri=alice_uri)
    await web.group_with("climate", role_of={alice: "owner"})

    # When she asks again, a notice with a link is queued for her account
    await web.post_form("/login/link", {"handle": "alice@social.example"})
    events = await Event.filter(kind="notice.direct")
    links = sent_links(events)
    assert len(links) == 1 and events[0].payload["account_id"] == alice.id
    assert links[0].startswith("http://127.0.0.1:8123/login/link/")
    token = links[0].rsplit("/", 1)[1]
    row = await LoginToken.get(account=alice)
    assert row.token_hash == signin.token_hash(token) and token not in row.token_hash
    assert timedelta(minutes=14) < row.expires_at - now() <= timedelta(minutes=15)

    # Opening the link (as a link preview would) does not use it
    path = links[0].removeprefix("http://127.0.0.1:8123")
    landing = await web.client.get(path)
    assert landing.status_code == 200 and "alice@social.example" in landing.text
    assert (await LoginToken.get(id=row.id)).used_at is None

    # Confirming signs her in and the console lists her group
    confirmed = await web.post_form(path, token_from=path)
    assert confirmed.status_code == 303
    console = await web.client.get("/console")
    assert "Climate" in console.text

    # The link works once
    again = await web.client.get(path)
    assert again.status_code == 410
    reuse = await web.post_form(path, token_from="/login")
    assert reuse.status_code == 410


async def test_expired_link(web) -> None:
    """An expired link is refused."""
    alice = await web.person("alice")
    links: list[str] = []
    await signin.request_link(alice, address="1.2.3.4", link_for=lambda t: links.append(t) or t, text="x", open_group_creation=True)
    await LoginToken.filter(account=alice).update(expires_at=now() - timedelta(seconds=1))
    response = await web.client.get(f"/login/link/{links[0]}")
    assert response.status_code == 410
    with pytest.raises(Exception):
        await signin.redeem_link(links[0])


async def test_an_account_holds_at_most_three_working_links(web) -> None:
    """With three unused, unexpired links an account is sent no more (silently); using one lets the next through."""
    alice = await web.person("alice")
    for _ in range(signin.PER_ACCOUNT_LIMIT):
        assert await signin.request_link(alice, address="10.0.0.1", link_for=str, text="x", open_group_creation=True)
    assert await signin.request_link(alice, address="10.0.0.2", link_for=str, text="x", open_group_creation=True) is None
    assert await LoginToken.filter(account=alice).count() == signin.PER_ACCOUNT_LIMIT
    await LoginToken.filter(id=(await LoginToken.filter(account=alice).first()).id).update(used_at=now())
    assert await signin.request_link(alice, address="10.0.0.2", link_for=str, text="x", open_group_creation=True)


async def test_link_requests_are_limited_per_address(web) -> None:
    """Ten link requests per address per hour, whoever they name; other addresses are not affected."""
    for _ in range(signin.PER_ADDRESS_LIMIT):
        await signin.charge_address("10.0.0.1")
    with pytest.raises(signin.RateLimited):
        await signin.charge_address("10.0.0.1")
    await signin.charge_address("10.0.0.2")


async def test_rate_limit_page(web_factory) -> None:
    """The page says so when an address asked too often (HTTP 429)."""
    hub = await web_factory(HUB_OPEN_GROUP_CREATION="true")
    hub.remote.person("alice")
    for _ in range(signin.PER_ADDRESS_LIMIT):
        assert (await hub.post_form("/login/link", {"handle": "@alice@social.example"})).status_code == 200
    response = await hub.post_form("/login/link", {"handle": "@alice@social.example"})
    assert response.status_code == 429 and "Too many sign-in links" in response.text


async def test_link_request_errors(web) -> None:
    """A malformed handle and an unreachable server get clear errors."""
    bad = await web.post_form("/login/link", {"handle": "not a handle"})
    assert bad.status_code == 400 and "is not a fediverse handle" in bad.text
    web.remote.down.add("down.example")
    down = await web.post_form("/login/link", {"handle": "@bob@down.example"})
    assert down.status_code == 502 and "could not look up" in down.text


async def test_local_accounts_get_no_links(web) -> None:
    """Local accounts use their password; the service refuses links for them."""
    admin = await web.admin()
    with pytest.raises(signin.PermissionDenied):
        await signin.request_link(admin, address="1.1.1.1", link_for=str, text="x", open_group_creation=True)


async def test_plain_member_signs_in_and_lands_on_their_page(web) -> None:
    """A member who organises nothing gets a link too; confirming it leads to /me, not the console."""
    bob = await web.person("bob")
    await web.group_with("climate", role_of={bob: "member"})
    response = await web.post_form("/login/link", {"handle": "@bob@social.example"})
    assert response.status_code == 200
    link = sent_links(await Event.filter(kind="notice.direct"))[0].removeprefix("http://127.0.0.1:8123")
    confirmed = await web.post_form(link, token_from=link)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/me"
    page = await web.client.get("/me")
    assert page.status_code == 200 and "Climate" in page.text and "bob@social.example" in page.text


async def test_sign_out(web) -> None:
    """Signing out ends the session."""
    admin = await web.admin()
    await web.sign_in(admin)
    assert (await web.client.get("/console")).status_code == 200
    response = await web.post_form("/logout", token_from="/console")
    assert response.status_code == 303
    assert (await web.client.get("/console")).status_code == 303


async def test_tampered_session_cookie_is_ignored(web) -> None:
    """A session cookie not signed with the hub's secret is worthless."""
    admin = await web.admin()
    await web.sign_in(admin)
    value = web.client.cookies.get("causeway_session")
    assert value
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    web.client.cookies.clear()
    web.client.cookies.set("causeway_session", value)
    assert (await web.client.get("/console")).status_code == 200
    web.client.cookies.clear()
    web.client.cookies.set("causeway_session", forged)
    response = await web.client.get("/console")
    assert response.status_code == 303


async def test_inbox_posts_neither_read_nor_renew_the_session(web) -> None:
    """Inbox POSTs take the inbox lane past the session middleware: no cookie renewed there; pages still renew it."""
    admin = await web.admin()
    await web.sign_in(admin)
    for path in ("/inbox", "/groups/anything/inbox", "/actor/inbox"):
        response = await web.client.post(path, content=b"{}", headers={"Content-Type": "application/activity+json"})
        assert response.status_code == 401 and "set-cookie" not in response.headers, path
        assert response.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in response.headers
    page = await web.client.get("/console")
    assert page.status_code == 200 and "causeway_session=" in page.headers["set-cookie"]
    assert (await web.client.get("/inbox")).status_code == 405  # other methods still reach the route table
