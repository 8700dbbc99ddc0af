"""An in-process hub for federation tests: the real app over ASGI, the rest of the fediverse mocked.

``running_hub(database_url, tmp_path)`` is an async context manager yielding a :class:`Hub`:

- the app from ``create_app(settings, http_transport=MockTransport(world))`` with its lifespan
  started (the lifespan connects tortoise itself: use the ``database_url`` fixture, not ``db``);
- ``hub.world``, a :class:`RemoteWorld` playing every remote server: it mints actors with fixed
  test RSA keys (``world.actor(url)``; with ``auto_actors`` any unknown URL is served as an actor),
  serves registered objects and NodeInfo, records deliveries, and can be told to misbehave
  (``world.respond(url, ...)``);
- ``await hub.signed_post(path, activity, as_actor)`` POSTs a draft-cavage signed activity (the
  signature can be bent with ``sign=SignOptions(...)`` for hostile tests);
- ``await hub.drain()`` runs ``build_worker(fed).run_once()`` until the queues are empty;
- ``await hub.counts()`` counts InboxItem, Post, Delivery and Membership rows;
- ``await hub.group(slug)`` and ``await hub.member(actor, slug)`` set the scene without keygen.

The instance key and every group key are fixed test keys, so a hub starts in milliseconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx

from federation.context import Federation
from federation.fetch import ACTIVITY_TYPES
from federation.remote import account_for
from federation.runtime import build_worker
from federation.signatures import digest_header, sign_cavage
from federation.signatures._util import encode_message, format_http_date
from federation.signatures.cavage import signing_string
from federation.signatures.keys import load_private_key, sign_bytes
from hub.models import Delivery, Group, InboxItem, InstanceKey, Membership, Post
from hub.services import members
from hub.settings import load_settings
from tests.federation.signatures.fixtures import OTHER_PRIVATE_PEM, OTHER_PUBLIC_PEM, PRIVATE_PEM, PUBLIC_PEM
from web.app import create_app

HUB_DOMAIN = "hub.test"
HUB_BASE = f"http://{HUB_DOMAIN}"
AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_TYPE = ACTIVITY_TYPES[0]
DEFAULT_NAMES = ("(request-target)", "host", "date", "digest")


@dataclass(frozen=True)
class FixedKey:
    """An RSA key pair from the fixed test fixtures."""

    private_pem: str
    public_pem: str


MAIN_KEY = FixedKey(PRIVATE_PEM, PUBLIC_PEM)
OTHER_KEY = FixedKey(OTHER_PRIVATE_PEM, OTHER_PUBLIC_PEM)


@dataclass
class FakeActor:
    """A remote actor the world serves: its id, keyId, key pair and document."""

    id: str
    key: FixedKey
    document: dict

    @property
    def key_id(self) -> str:
        """The keyId its signatures name."""
        return self.document["publicKey"]["id"]

    @property
    def inbox(self) -> str:
        """Its personal inbox."""
        return self.document["inbox"]

    @property
    def host(self) -> str:
        """host[:port] of its server."""
        return urlsplit(self.id).netloc


Responder = Callable[[httpx.Request], httpx.Response]


def as_response(document: dict | bytes, *, status: int = 200, content_type: str = AS_TYPE, headers: dict | None = None) -> httpx.Response:
    """A response serving ``document`` (JSON-encoded when a dict)."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return httpx.Response(status, content=body, headers={"content-type": content_type, **(headers or {})})


class RemoteWorld:
    """The fediverse as a MockTransport handler: actors, objects, NodeInfo and inboxes of remote servers."""

    def __init__(self, *, auto_actors: bool = True, software: str = "mastodon") -> None:
        self.auto_actors = auto_actors
        """Serve an actor document (with MAIN_KEY) for any unknown URL fetched with GET."""
        self.software = software
        """The NodeInfo software name every host reports, unless ``software_of`` says otherwise."""
        self.software_of: dict[str, str] = {}
        self.actors: dict[str, FakeActor] = {}
        self.documents: dict[str, dict] = {}
        self.overrides: dict[str, Responder] = {}
        self.requests: list[httpx.Request] = []
        self.deliveries: list[tuple[str, dict]] = []

    # --- building the world -------------------------------------------------------------------

    def actor(self, url: str, *, key: FixedKey = MAIN_KEY, actor_type: str = "Person", **extra: Any) -> FakeActor:
        """The actor at ``url``, minted (and served) on first use."""
        url = urldefrag(url).url
        if url in self.actors:
            return self.actors[url]
        parts = urlsplit(url)
        name = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc
        document = {
            "@context": AS_CONTEXT,
            "id": url,
            "type": actor_type,
            "preferredUsername": name.lstrip("@")[:60] or "actor",
            "name": f"Test {name}",
            "inbox": f"{url}/inbox",
            "outbox": f"{url}/outbox",
            "followers": f"{url}/followers",
            "endpoints": {"sharedInbox": f"{parts.scheme}://{parts.netloc}/inbox"},
            "publicKey": {"id": f"{url}#main-key", "owner": url, "publicKeyPem": key.public_pem},
            **extra,
        }
        actor = FakeActor(url, key, document)
        self.actors[url] = actor
        self.documents[url] = document
        return actor

    def person(self, username: str, host: str = "remote.test", *, scheme: str = "https", **options: Any) -> FakeActor:
        """``scheme://host/users/username``; ``options`` as for :meth:`actor` (extra fields go into the document)."""
        return self.actor(f"{scheme}://{host}/users/{username}", **options)

    def serve(self, document: dict, url: str | None = None) -> None:
        """Serve ``document`` as ActivityStreams at ``url`` (default: its id)."""
        self.documents[urldefrag(url or document["id"]).url] = document

    def respond(self, url: str, responder: Responder | httpx.Response | int) -> None:
        """Answer requests for ``url`` (fragment ignored) with a fixed response, a status or a callable."""
        if isinstance(responder, int):
            status = responder
            responder = lambda request: httpx.Response(status, text="nope")  # noqa: E731
        if isinstance(responder, httpx.Response):
            fixed = responder
            responder = lambda request: fixed  # noqa: E731
        self.overrides[urldefrag(url).url] = responder

    # --- the transport ------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """MockTransport handler."""
        self.requests.append(request)
        url = urldefrag(str(request.url)).url
        if url in self.overrides:
            return self.overrides[url](request)
        if request.method == "POST":
            try:
                body = json.loads(request.content)
            except ValueError:
                body = {}
            self.deliveries.append((url, body))
            return httpx.Response(202)
        path = request.url.path
        if path == "/.well-known/nodeinfo":
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
            return httpx.Response(200, json={"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{origin}/nodeinfo/2.0"}]})
        if path == "/nodeinfo/2.0":
            name = self.software_of.get(request.url.host, self.software)
            return httpx.Response(200, json={"version": "2.0", "software": {"name": name, "version": "1.0"}})
        if url in self.documents:
            return as_response(self.documents[url])
        if self.auto_actors and request.method == "GET":
            return as_response(self.actor(url).document)
        return httpx.Response(404, text="not found")

    def fetched(self, url: str) -> int:
        """How many GETs were made for ``url`` (fragment ignored)."""
        target = urldefrag(url).url
        return sum(1 for r in self.requests if r.method == "GET" and urldefrag(str(r.url)).url == target)


@dataclass(frozen=True)
class SignOptions:
    """How to sign (or mis-sign) a POST; the defaults make a correct Mastodon-style signature."""

    names: tuple[str, ...] = DEFAULT_NAMES
    """Signed header names, in order."""
    date: float | None = None
    """UNIX time of the Date header (default: now)."""
    key_id: str | None = None
    """keyId to name (default: the actor's)."""
    key: FixedKey | None = None
    """Key to sign with (default: the actor's)."""
    host: str | None = None
    """Host header (default: the hub's domain)."""
    digest: str | None = None
    """Digest header to send instead of the body's."""
    signed_body: bytes | None = None
    """Sign this body instead of the one sent (tampering after signing)."""
    extra_headers: dict[str, str] = field(default_factory=dict)
    """More headers to send (after signing; sign them by listing them in ``names``)."""
    omit: tuple[str, ...] = ()
    """Headers to drop after signing."""
    unsigned: bool = False
    """Send no Signature header at all."""


def signed_headers(method: str, url: str, body: bytes, actor: FakeActor, options: SignOptions = SignOptions()) -> dict[str, str]:
    """Headers for a request signed per ``options`` (sign_cavage when they are the defaults)."""
    key = options.key or actor.key
    key_id = options.key_id or actor.key_id
    signed_body = options.signed_body if options.signed_body is not None else body
    base = {"Content-Type": AS_TYPE, "Accept": AS_TYPE}
    if options.host:
        base["Host"] = options.host
    defaults = options.names == DEFAULT_NAMES and options.digest is None and options.signed_body is None
    if defaults and not options.extra_headers:
        headers = sign_cavage(method, url, base, signed_body, key_id, key.private_pem, now=options.date)
    else:
        headers = dict(base)
        headers.setdefault("Host", urlsplit(url).netloc)
        headers["Date"] = format_http_date(time.time() if options.date is None else options.date)
        headers["Digest"] = options.digest or digest_header(signed_body)
        headers.update(options.extra_headers)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        text = signing_string(method, target, headers, options.names)
        signature = base64.b64encode(sign_bytes(load_private_key(key.private_pem), encode_message(text))).decode()
        headers["Signature"] = (
            f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(options.names)}",signature="{signature}"'
        )
        if options.digest is None and options.signed_body is not None:
            headers["Digest"] = digest_header(signed_body)
    if options.unsigned:
        headers.pop("Signature", None)
    for name in options.omit:
        for key_name in [k for k in headers if k.lower() == name.lower()]:
            headers.pop(key_name)
    return headers


@dataclass(frozen=True)
class Counts:
    """Row counts of the tables hostile input must not grow."""

    inbox_items: int
    posts: int
    deliveries: int
    memberships: int
    accepted_members: int


@dataclass
class Hub:
    """A running hub and the world around it."""

    app: Any
    client: httpx.AsyncClient
    world: RemoteWorld
    settings: Any

    @property
    def fed(self) -> Federation:
        """The app's Federation runtime."""
        return self.app.state.federation

    # --- scene --------------------------------------------------------------------------------

    async def group(self, slug: str = "climate", **fields: Any) -> Group:
        """A local group with a fixed key (no keygen)."""
        existing = await Group.get_or_none(slug=slug)
        if existing is not None:
            return existing
        fields.setdefault("name", slug.title())
        return await Group.create(slug=slug, private_key_pem=PRIVATE_PEM, public_key_pem=PUBLIC_PEM, **fields)

    def group_id(self, slug: str = "climate") -> str:
        """The group's actor id."""
        return self.fed.urls.group(slug)

    def inbox(self, slug: str | None = "climate") -> str:
        """Path of a group's inbox (``None``: the shared inbox)."""
        return f"/groups/{slug}/inbox" if slug else "/inbox"

    async def member(self, actor: FakeActor, slug: str = "climate", *, role: str = "member") -> Membership:
        """Make ``actor`` an accepted member (through the domain service, as an approved Follow would)."""
        group = await self.group(slug)
        account = await account_for(self.fed, actor.id)
        decision = await members.request_join(group, account, follow_uri=f"{actor.id}#follows/{slug}", pre_approved=True)
        if role != "member":
            await Membership.filter(id=decision.membership.id).update(role=role)
        return decision.membership

    # --- requests -----------------------------------------------------------------------------

    async def signed_post(
        self, path: str, activity: dict | None, as_actor: FakeActor, *, body: bytes | None = None,
        sign: SignOptions = SignOptions(),
    ) -> httpx.Response:
        """POST ``activity`` (or raw ``body``) to ``path``, signed as ``as_actor`` per ``sign``."""
        raw = body if body is not None else json.dumps(activity).encode()
        url = f"{HUB_BASE}{path}"
        headers = signed_headers("POST", url, raw, as_actor, sign)
        return await self.client.post(path, content=raw, headers=headers)

    async def get(self, path: str, **headers: str) -> httpx.Response:
        """GET a path of the hub."""
        return await self.client.get(path, headers=headers)

    async def alive(self) -> bool:
        """Whether the hub still answers (GET /nodeinfo/2.0 -> 200)."""
        return (await self.client.get("/nodeinfo/2.0")).status_code == 200

    async def drain(self, *, passes: int = 20) -> int:
        """Run the worker until a pass handles nothing; returns the rows handled."""
        worker = build_worker(self.fed)
        total = 0
        for _ in range(passes):
            handled = await worker.run_once()
            total += handled
            if not handled:
                break
        return total

    async def counts(self) -> Counts:
        """How many inbox items, posts, deliveries and memberships exist."""
        return Counts(
            inbox_items=await InboxItem.all().count(),
            posts=await Post.all().count(),
            deliveries=await Delivery.all().count(),
            memberships=await Membership.all().count(),
            accepted_members=await Membership.filter(state="accepted").count(),
        )

    async def inbox_item(self, activity_id: str) -> InboxItem | None:
        """The stored inbox item of an activity id."""
        return await InboxItem.get_or_none(activity_uri=activity_id)


def hub_settings(database_url: str, data_dir: Path, **extra: str):
    """Settings of the test hub at http://hub.test."""
    env = {
        "HUB_DATABASE_URL": database_url,
        "HUB_DOMAIN": HUB_DOMAIN,
        "HUB_SCHEME": "http",
        "HUB_DATA_DIR": str(data_dir),
        **extra,
    }
    return load_settings(env)


@contextlib.asynccontextmanager
async def running_hub(
    database_url: str, tmp_path: Path, *, world: RemoteWorld | None = None, **settings: str
) -> AsyncIterator[Hub]:
    """Start the real app in-process over ``database_url`` with ``world`` as the network."""
    world = world or RemoteWorld()
    config = hub_settings(database_url, tmp_path / "data", **settings)
    app = create_app(config, http_transport=httpx.MockTransport(world))
    async with app.router.lifespan_context(app):
        if not await InstanceKey.exists():
            await InstanceKey.create(private_key_pem=OTHER_PRIVATE_PEM, public_key_pem=OTHER_PUBLIC_PEM)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=HUB_BASE) as client:
            yield Hub(app=app, client=client, world=world, settings=config)


def with_(activity: dict, **changes: Any) -> dict:
    """A copy of ``activity`` with top-level ``changes`` (None deletes a key)."""
    out = dict(activity)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


__all__ = [
    "AS_TYPE", "Counts", "FakeActor", "HUB_BASE", "HUB_DOMAIN", "Hub", "MAIN_KEY", "OTHER_KEY", "PUBLIC",
    "RemoteWorld", "SignOptions", "FixedKey", "as_response", "hub_settings", "running_hub",
    "signed_headers", "with_",
]
