"""An in-process hub for web tests: the real app over ASGI, remote servers played by a mock network.

Fixtures:

- ``remote``: a :class:`Remote` answering the hub's outbound requests (WebFinger, actor documents),
  recording them; ``remote.person("alice")`` makes ``@alice@social.example`` exist.
- ``web``: a started :class:`WebHub` (lifespan run, tortoise connected to ``database_url``) with an
  httpx client that keeps cookies, and helpers to sign in and to post forms with the CSRF token.
- ``web_factory(**env)``: the same with extra HUB_* settings (e.g. HUB_OPEN_GROUP_CREATION).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.models import Account, Group, Membership
from hub.services import accounts, groups, signin
from hub.settings import Settings, load_settings
from tests.federation.signatures.fixtures import PUBLIC_PEM
from web.app import create_app

HUB_DOMAIN = "127.0.0.1:8123"
HUB_BASE = f"http://{HUB_DOMAIN}"
REMOTE_HOST = "social.example"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class Remote:
    """The rest of the fediverse: handlers keyed by URL, every request recorded."""

    handlers: dict[str, Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    down: set[str] = field(default_factory=set)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer one outbound request."""
        self.requests.append(request)
        if request.url.host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        url = str(request.url)
        handler = self.handlers.get(url) or self.handlers.get(url.split("?", 1)[0])
        return handler(request) if handler else httpx.Response(404)

    def person(self, name: str, host: str = REMOTE_HOST, *, subscribe: bool = True) -> str:
        """Make ``@name@host`` exist (WebFinger, with or without a subscribe template, and its actor); its actor id."""
        actor = f"https://{host}/users/{name}"
        links: list[dict[str, Any]] = [{"rel": "self", "type": "application/activity+json", "href": actor}]
        if subscribe:
            links.append({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": f"https://{host}/authorize_interaction?uri={{uri}}"})
        jrd = {"subject": f"acct:{name}@{host}", "links": links}
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": name, "name": name.title(),
            "inbox": f"{actor}/inbox", "endpoints": {"sharedInbox": f"https://{host}/inbox"},
            "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": PUBLIC_PEM},
        }
        webfinger = f"https://{host}/.well-known/webfinger"
        previous = self.handlers.get(webfinger)

        def answer_webfinger(request: httpx.Request) -> httpx.Response:
            if request.url.params.get("resource") == f"acct:{name}@{host}":
                return httpx.Response(200, json=jrd, headers={"content-type": "application/jrd+json"})
            return previous(request) if previous else httpx.Response(404)

        self.handlers[webfinger] = answer_webfinger
        self.handlers[actor] = lambda request: httpx.Response(
            200, json=document, headers={"content-type": "application/activity+json"}
        )
        return actor


@dataclass
class WebHub:
    """A started app, its client and what it talks to."""

    app: Any
    client: httpx.AsyncClient
    remote: Remote
    settings: Settings

    async def csrf(self, path: str = "/login") -> str:
        """This client's CSRF token, read from a page's form."""
        page = await self.client.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path}: {page.status_code}"
        return match.group(1)

    async def post_form(self, path: str, data: dict[str, Any] | None = None, *, token_from: str = "/login", **kwargs: Any) -> httpx.Response:
        """POST a form with this session's CSRF token."""
        fields = {"csrf_token": await self.csrf(token_from), **(data or {})}
        return await self.client.post(path, data=fields, **kwargs)

    async def sign_in(self, account: Account) -> None:
        """Sign this client in as ``account`` (password for local accounts, a real link otherwise)."""
        if account.is_local:
            response = await self.post_form("/login/password", {"username": account.username, "password": ADMIN_PASSWORD})
        else:
            links: list[str] = []
            await signin.request_link(
                account, address="198.51.100.7", link_for=lambda token: links.append(f"/login/link/{token}") or links[-1],
                text="sign in", open_group_creation=True,
            )
            response = await self.post_form(links[0], token_from=links[0])
        assert response.status_code == 303, response.text

    async def admin(self) -> Account:
        """A local instance administrator (password :data:`ADMIN_PASSWORD`)."""
        return await accounts.create_admin("admin", ADMIN_PASSWORD)

    async def person(self, name: str) -> Account:
        """A remote person known to the hub (actor served by the remote)."""
        uri = self.remote.person(name)
        return await accounts.remote_account(uri, handle=f"{name}@{REMOTE_HOST}", display_name=name.title())

    async def group_with(self, slug: str, *, role_of: dict[Account, str] | None = None, **options: Any) -> Group:
        """A group with the given accounts holding roles (accepted members)."""
        group = await groups.create_group(slug, options.pop("name", slug.title()), **options)
        for account, role in (role_of or {}).items():
            await Membership.create(group=group, account=account, state="accepted", role=role)
        return group


def hub_settings(tmp_path: Path, database_url: str, **env: str) -> Settings:
    """Settings of a test hub on 127.0.0.1:8123 with its own data directory."""
    return load_settings({
        "HUB_DOMAIN": HUB_DOMAIN, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path / "data"),
        "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8", **env,
    })


@contextlib.asynccontextmanager
async def running(settings: Settings, remote: Remote) -> AsyncIterator[WebHub]:
    """Start the app's lifespan and yield a client bound to it."""
    app = create_app(settings, http_transport=httpx.MockTransport(remote))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=HUB_BASE, follow_redirects=False) as client:
            yield WebHub(app=app, client=client, remote=remote, settings=settings)


@pytest.fixture
def remote() -> Remote:
    """The mock fediverse of the test."""
    return Remote()


@pytest.fixture
async def web_factory(database_url: str, tmp_path: Path, remote: Remote) -> AsyncIterator[Callable[..., Any]]:
    """``await web_factory(**env)`` starts a hub with extra settings (one per test)."""
    stack = contextlib.AsyncExitStack()

    async def make(**env: str) -> WebHub:
        return await stack.enter_async_context(running(hub_settings(tmp_path, database_url, **env), remote))

    async with stack:
        yield make


@pytest.fixture
async def web(web_factory) -> WebHub:
    """A started hub with default settings."""
    return await web_factory()
