"""Issue 21.7 and issue 15's bad inputs, as a hostile visitor would try them against the web app:

- signing out ends the session on the server (an old copy of the cookie stops working);
- anonymous form bodies are capped before they are read (a big multipart upload is not spooled
  before the CSRF check);
- strangers who ask for sign-in links naming an organiser cannot lock the organiser out;
- a link request naming a non-member gets the same answers as one naming a member (no membership oracle);
- links expire and work once; a withdrawn answer to a call cannot be withdrawn twice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from hub.clock import now
from hub.errors import NotFound
from hub.models import Account, Event, LoginToken
from hub.services import calls, signin
from tests.web.conftest import HUB_BASE, WebHub, remote, web, web_factory  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


def client_from(web: WebHub, address: str) -> httpx.AsyncClient:
    """Another browser, at another address, on the same app."""
    transport = httpx.ASGITransport(app=web.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=HUB_BASE, follow_redirects=False)


async def ask_link(client: httpx.AsyncClient, handle: str) -> httpx.Response:
    """POST /login/link for ``handle`` with this client's CSRF token."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return await client.post("/login/link", data={"csrf_token": token, "handle": handle})


async def test_signing_out_ends_the_session_on_the_server(web) -> None:
    """A copy of the cookie taken before signing out no longer opens the console."""
    admin = await web.admin()
    await web.sign_in(admin)
    copied = web.client.cookies.get("causeway_session")
    assert (await web.client.get("/console")).status_code == 200
    assert (await web.post_form("/logout", token_from="/console")).status_code == 303
    web.client.cookies.clear()
    web.client.cookies.set("causeway_session", copied)
    assert (await web.client.get("/console")).status_code == 303


async def test_anonymous_multipart_is_refused_before_it_is_read(web) -> None:
    """An 8 MiB multipart upload without a session: 413 after reading at most the cap (plus one chunk)."""
    consumed = 0
    chunk = b"x" * 65536

    async def body() -> AsyncIterator[bytes]:
        nonlocal consumed
        head = b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
        consumed += len(head)
        yield head
        for _ in range(128):
            consumed += len(chunk)
            yield chunk
        yield b"\r\n--b--\r\n"

    response = await web.client.post("/login/link", content=body(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert consumed <= 3 * len(chunk), consumed
    declared = await web.client.post(
        "/login/link", content=b"x" * 100, headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(40 * 2**20)},
    )
    assert declared.status_code == 413


async def test_a_form_token_is_not_a_session_for_the_body_cap(web) -> None:
    """A visitor who loaded a form (and so holds a CSRF token) but never signed in still gets the anonymous cap."""
    await web.client.get("/login")
    declared = await web.client.post(
        "/login/link", content=b"x" * 100, headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(40 * 2**20)},
    )
    assert declared.status_code == 413
    big = await web.client.post("/login/link", content=b"x" * (256 * 1024),
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert big.status_code == 413


async def test_strangers_cannot_lock_an_organiser_out(web) -> None:
    """Ten requests by a stranger naming the organiser: her own request still gets her a working link."""
    olivia_uri = web.remote.person("olivia")
    olivia = await Account.create(uri=olivia_uri, handle="olivia@social.example")
    await web.group_with("climate", role_of={olivia: "owner"})
    async with client_from(web, "192.0.2.66") as stranger:
        for _ in range(signin.PER_ADDRESS_LIMIT):
            await ask_link(stranger, "@olivia@social.example")
    async with client_from(web, "198.51.100.20") as herself:
        response = await ask_link(herself, "@olivia@social.example")
        assert response.status_code == 200 and "Check your messages" in response.text
        working = await LoginToken.filter(account=olivia, used_at__isnull=True, expires_at__gt=now())
        assert working, "no working link waits for the organiser"
        links = [e.payload["link"] for e in await Event.filter(kind="notice.direct") if e.payload["account_id"] == olivia.id]
        path = links[-1].removeprefix(HUB_BASE)
        page = await herself.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert (await herself.post(path, data={"csrf_token": token})).status_code == 303
        assert (await herself.get("/console")).status_code == 200


async def test_no_membership_oracle(web) -> None:
    """The same requests naming a member and a non-member get the same statuses and pages, rate limit included."""
    member_uri, outsider_uri = web.remote.person("mia"), web.remote.person("nico")
    mia = await Account.create(uri=member_uri, handle="mia@social.example")
    await Account.create(uri=outsider_uri, handle="nico@social.example")
    await web.group_with("climate", role_of={mia: "member"})

    async def answers(address: str, name: str) -> list[tuple[int, str]]:
        seen = []
        async with client_from(web, address) as client:
            for _ in range(signin.PER_ADDRESS_LIMIT + 2):
                response = await ask_link(client, f"@{name}@social.example")
                text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text).replace(name, "NAME")
                seen.append((response.status_code, text))
        return seen

    member_answers, outsider_answers = await answers("192.0.2.1", "mia"), await answers("192.0.2.2", "nico")
    assert [s for s, _ in member_answers] == [200] * signin.PER_ADDRESS_LIMIT + [429, 429]
    assert member_answers == outsider_answers


async def test_links_expire_and_work_once(web) -> None:
    """An expired link and a used link are both refused (410), and the service refuses them too."""
    alice = await web.person("alice")
    await web.group_with("climate", role_of={alice: "member"})
    links: list[str] = []
    for _ in range(2):
        await signin.request_link(alice, address="192.0.2.9", link_for=lambda t: links.append(t) or t, text="x",
                                  open_group_creation=False)
    await LoginToken.filter(token_hash=signin.token_hash(links[0])).update(expires_at=now() - timedelta(seconds=1))
    assert (await web.client.get(f"/login/link/{links[0]}")).status_code == 410
    with pytest.raises(NotFound):
        await signin.redeem_link(links[0])
    assert (await web.post_form(f"/login/link/{links[1]}", token_from=f"/login/link/{links[1]}")).status_code == 303
    web.client.cookies.clear()
    assert (await web.post_form(f"/login/link/{links[1]}", token_from="/login")).status_code == 410


async def test_a_withdrawn_answer_cannot_be_withdrawn_twice(web) -> None:
    """The second withdrawal is a clear NotFound, not a silent success."""
    alice = await web.person("alice")
    group = await web.group_with("climate", role_of={alice: "member"})
    call = await calls.create_call(group, what="Water station", needed=2)
    await calls.sign_up(call, alice, via="web")
    await calls.withdraw(call, alice)
    with pytest.raises(NotFound, match="withdrawn already"):
        await calls.withdraw(call, alice)
