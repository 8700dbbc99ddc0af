"""Remote actors: fetched (signed by the instance actor), checked, cached as RemoteActor rows.

Also the key lookup behind inbound signature verification: keyId -> (actor, public key), with
one refetch on failure for key rotation, rate-limited per key so a sender cannot force refetches.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urldefrag

from tortoise.transactions import in_transaction

from federation.context import Federation
from federation.errors import FetchError, KeyFetchError, OriginError
from federation.fetch import fetch_document, host_of, same_host
from federation.proofs import assertion_keys
from federation.sanitize import off_loop, plain_text
from federation.keycache import UNVERIFIED_FETCH_DEADLINE, FetchSlotsBusy
from federation.vocab import MAX_ID_LENGTH, has_type, is_http_id
from hub.clock import now
from hub.models import Account, Peer, RemoteActor
from hub.services.accounts import remote_account

ACTOR_TYPES = frozenset({"Person", "Group", "Service", "Application", "Organization"})
ACTOR_MAX_AGE = timedelta(days=1)
REFETCH_INTERVAL = 60.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_HOST_LENGTH = 255
"""Longest host stored for a peer (a DNS name has at most 253 characters)."""
MAX_HANDLE_LENGTH = 320
"""Longest ``name@host`` handle stored for an account."""
MAX_NAME_SOURCE = 10_000
"""Characters of an actor's ``name`` read (as HTML) for its display name of at most 200 characters."""
MAX_PEM = 16_384
"""Longest public key PEM accepted (an RSA-8192 key is under 1,500 characters)."""


@dataclass(frozen=True)
class ActorKey:
    """A verified association of a keyId with its owning actor and PEM."""

    key_id: str
    actor_uri: str
    public_key_pem: str


def _first_str(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    if isinstance(value, list):
        for item in value:
            found = _first_str(item)
            if found:
                return found
    return None


def _http_url(value: object) -> str | None:
    text = _first_str(value)
    return text if is_http_id(text) else None


def _public_key(document: dict, actor_id: str) -> tuple[str | None, str | None]:
    keys = document.get("publicKey")
    candidates = keys if isinstance(keys, list) else [keys]
    for key in candidates:
        if not isinstance(key, dict):
            continue
        key_id, owner, pem = key.get("id"), key.get("owner"), key.get("publicKeyPem")
        if is_http_id(key_id) and isinstance(pem, str) and len(pem) <= MAX_PEM and "\x00" not in pem and owner in (None, actor_id):
            if same_host(key_id, actor_id):
                return key_id, pem
    return None, None


def place_of(document: dict) -> tuple[str | None, float | None, float | None]:
    """(name, latitude, longitude) of an actor's ``location`` Place; Nones for anything missing or out of range."""
    location = document.get("location")
    if isinstance(location, list):
        location = next((item for item in location if isinstance(item, dict)), None)
    if not isinstance(location, dict):
        return None, None, None
    name = plain_text(location["name"], max_length=200) or None if isinstance(location.get("name"), str) else None
    lat, lon = location.get("latitude"), location.get("longitude")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon))
    if not numbers or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return name, None, None
    return name, float(lat), float(lon)


async def store_actor(document: dict) -> RemoteActor:
    """Check an actor document (fetched from its own id) and upsert its cache row and account."""
    actor_id = document.get("id")
    actor_type = has_type(document, ACTOR_TYPES)
    inbox = _http_url(document.get("inbox"))
    if not is_http_id(actor_id) or actor_type not in ACTOR_TYPES or inbox is None:
        raise FetchError("not an actor document: it needs an id, an actor type and an inbox")
    if len(host_of(actor_id)) > MAX_HOST_LENGTH:
        raise FetchError(f"not an actor document: its host is longer than {MAX_HOST_LENGTH} characters")
    endpoints = document.get("endpoints")
    shared = _http_url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key_id, pem = _public_key(document, actor_id)
    host = host_of(actor_id)
    username = document.get("preferredUsername") if isinstance(document.get("preferredUsername"), str) else None
    username = _CONTROL.sub("", username) or None if username else None
    handle = f"{username}@{host}" if username and len(username) + len(host) < MAX_HANDLE_LENGTH else None
    raw_name = document.get("name")
    name = await off_loop(plain_text, raw_name[:MAX_NAME_SOURCE], max_length=200) if isinstance(raw_name, str) else None
    icon = document.get("icon")
    icon_url = _http_url(icon.get("url")) if isinstance(icon, dict) else None
    place = place_of(document)
    fields = {
        "actor_type": actor_type,
        "inbox": inbox,
        "shared_inbox": shared,
        "key_id": key_id,
        "public_key_pem": pem,
        "assertion_keys": assertion_keys(document, actor_id) or None,
        "preferred_username": username[:200] if username else None,
        "name": name,
        "url": _http_url(document.get("url")),
        "icon_url": icon_url,
        "place_name": place[0],
        "latitude": place[1],
        "longitude": place[2],
        "fetched_at": now(),
        "gone": False,
    }
    async with in_transaction():
        peer, _ = await Peer.get_or_create(host=host)
        account = await remote_account(actor_id, handle=handle, display_name=name)
        actor = await RemoteActor.get_or_none(uri=actor_id)
        if actor is None:
            actor = await RemoteActor.create(account=account, peer=peer, uri=actor_id, **fields)
        else:
            await RemoteActor.filter(id=actor.id).update(**fields)
            await actor.refresh_from_db()
    return actor


async def fetch_actor(fed: Federation, uri: str, *, refresh: bool = False) -> RemoteActor:
    """The cached actor, fetched (signed by the instance actor) when missing, stale or ``refresh``."""
    if fed.urls.is_local(uri):
        raise FetchError("local actors are not fetched")
    cached = await RemoteActor.get_or_none(uri=uri)
    if cached is not None and not refresh and now() - cached.fetched_at < ACTOR_MAX_AGE:
        return cached
    document = await fetch_document(fed.client, uri, sign=await fed.instance_auth(), local_host=fed.urls.host)
    if document.get("id") != uri:
        raise OriginError(f"{uri} serves the actor {document.get('id')!r}")
    return await store_actor(document)


async def account_for(fed: Federation, uri: str) -> Account:
    """The account of a remote actor, fetching the actor if unknown."""
    actor = await fetch_actor(fed, uri)
    return await actor.account


async def lookup_key(fed: Federation, key_id: str, *, refresh: bool = False, unverified: bool = False) -> ActorKey:
    """The key named by ``key_id`` and its owner: from ``fed.key_cache``, the database, or fetched (``refresh``: always).

    ``unverified``: the fetch is caused by a request not yet verified, so it takes one of the bounded
    ``fed.key_fetch_slots`` and has a short deadline (federation.keycache).
    """
    if not key_id.startswith(("http://", "https://")) or len(key_id) > MAX_ID_LENGTH:
        raise KeyFetchError(f"keyId is not an http(s) URL of at most {MAX_ID_LENGTH} characters")
    if fed.urls.is_local(key_id):
        raise KeyFetchError("keyId names a key of this hub")
    if not refresh:
        cached = fed.key_cache.get(key_id)
        if cached is not None:
            return cached
        actor = await RemoteActor.get_or_none(key_id=key_id)
        if actor is not None and actor.public_key_pem and not actor.gone:
            key = ActorKey(key_id, actor.uri, actor.public_key_pem)
            fed.key_cache.put(key_id, key)
            return key
    fed.key_cache.drop(key_id)
    try:
        if unverified:
            async with fed.key_fetch_slots.slot(host_of(key_id), UNVERIFIED_FETCH_DEADLINE):
                actor = await _fetch_key_owner(fed, key_id, deadline=UNVERIFIED_FETCH_DEADLINE)
        else:
            actor = await _fetch_key_owner(fed, key_id)
    except (FetchSlotsBusy, TimeoutError):
        raise KeyFetchError(f"could not fetch the key {key_id}: too many key fetches to its server at once") from None
    except (FetchError, OriginError) as exc:
        raise KeyFetchError(f"could not fetch the key {key_id}: {exc.reason}") from None
    if actor.key_id != key_id or not actor.public_key_pem:
        raise KeyFetchError("the key does not belong to the actor that published it")
    key = ActorKey(key_id, actor.uri, actor.public_key_pem)
    fed.key_cache.put(key_id, key)
    return key


def may_refetch(fed: Federation, key_id: str) -> bool:
    """Whether a refetch of this key is allowed now (once per minute per key, per process)."""
    moment = time.monotonic()
    last = fed.key_refetches.get(key_id)
    if last is not None and moment - last < REFETCH_INTERVAL:
        return False
    if len(fed.key_refetches) > 10_000:
        fed.key_refetches.clear()
    fed.key_refetches[key_id] = moment
    return True


async def _fetch_key_owner(fed: Federation, key_id: str, *, deadline: float = 10.0) -> RemoteActor:
    url = urldefrag(key_id).url
    document = await fetch_document(fed.client, url, sign=await fed.instance_auth(), local_host=fed.urls.host, deadline=deadline)
    if has_type(document, ACTOR_TYPES):
        return await store_actor(document)
    owner = document.get("owner")
    if not isinstance(owner, str) or not same_host(owner, key_id):
        raise KeyFetchError("the key document names no owner on its own host")
    return await fetch_actor(fed, owner, refresh=True)
