"""Receiving activities: size and shape checks, signature and origin checks, then store and answer 202.

Persist, then process: nothing here changes domain state; a worker processes stored items
(federation.processing). The endpoint maps the errors raised here to HTTP statuses.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

from federation import ldsignatures
from federation.context import Federation
from federation.errors import BlockedError, FetchError, OriginError, PayloadError, RateLimitError, SignatureError
from federation.fetch import host_of, on_host, parse_object, same_host
from federation.registry import precheck
from federation.remote import MAX_HOST_LENGTH
from federation.signatures import inspect_request
from federation.signer import verify
from federation.vocab import MAX_ID_LENGTH, id_of, is_http_id, type_of
from hub.intake import InboxEntry
from hub.models import GroupFollow, InboxItem

MAX_BODY = 1_048_576
HOST_COMPONENTS = frozenset({"host", "@authority", "@target-uri"})
"""A POST must sign one of these, so a signature made for another server cannot be replayed here."""
FORWARDED_TYPES = frozenset({"Update", "Delete"})
"""Activities accepted from a server other than the author's (inbox forwarding, ActivityPub 7.1.2) when the
author's Linked Data signature verifies: the edits and deletions a group passes on to its members' servers."""
REFERENCE_OBJECTS = frozenset({"Announce", "Flag", "Accept", "Reject", "Add", "Remove", "Block"})
"""Activity types whose embedded object belongs to someone else and counts only as a reference."""


@dataclass(frozen=True)
class Received:
    """The outcome of a POST to an inbox: ``stored`` False when the id was already known (a replay)."""

    activity_id: str
    actor: str
    stored: bool


def _check_shape(activity: dict) -> tuple[str, str, str]:
    activity_id = activity.get("id")
    kind = type_of(activity)
    actor = id_of(activity.get("actor"))
    if not isinstance(activity_id, str) or not activity_id.startswith(("http://", "https://")) or len(activity_id) > 1024:
        raise PayloadError("the activity needs an http(s) id of at most 1024 characters")
    if kind is None:
        raise PayloadError("the activity needs a string type")
    if actor is None or not actor.startswith(("http://", "https://")) or len(actor) > 1024:
        raise PayloadError("the activity needs an actor id")
    if "object" in activity and activity["object"] is not None and not isinstance(activity["object"], (str, dict, list)):
        raise PayloadError("object must be an id or an object")
    return activity_id, kind, actor


def check_origin(activity: dict, actor: str, *, followed_owner: str | None = None) -> None:
    """Origin rules: the activity id, and any embedded object's id, are on the actor's host.

    A Create or Update may carry an object attributed to someone else only when that owner is
    ``followed_owner``: a group on the actor's own server that a local group follows (Mobilizon's
    organiser creates the group's Events and posts; their server vouches for both).
    """
    try:
        home = host_of(actor)
    except OriginError:
        home = None  # on no host: no id is on it
    if home is None or not on_host(activity["id"], home):
        raise OriginError("the activity id is not on the actor's host")
    obj = activity.get("object")
    if isinstance(obj, dict) and obj.get("id") is not None and not is_http_id(obj["id"]):
        raise PayloadError(f"the embedded object's id must be an http(s) URL of at most {MAX_ID_LENGTH} characters")
    if isinstance(obj, dict) and isinstance(obj.get("id"), str) and type_of(activity) not in REFERENCE_OBJECTS:
        if not on_host(obj["id"], home):
            raise OriginError("the embedded object's id is not on the actor's host")
        owner = id_of(obj.get("attributedTo")) or id_of(obj.get("actor"))
        if owner is not None and owner != actor and type_of(activity) in ("Create", "Update"):
            if owner != followed_owner or not on_host(owner, home):
                raise OriginError("the embedded object is attributed to someone else")


async def followed_owner(activity: dict, actor: str) -> str | None:
    """The owner of the embedded object when it is a group on the actor's server that a local group follows (only a
    Create or an Update may carry another actor's object: :func:`check_origin` reads it for those alone)."""
    if type_of(activity) not in ("Create", "Update"):
        return None
    obj = activity.get("object")
    owner = id_of(obj.get("attributedTo")) if isinstance(obj, dict) else None
    if owner is None or owner == actor or not same_host(owner, actor):
        return None
    followed = await GroupFollow.filter(target__uri=owner, state="accepted", target__remote__actor_type="Group").exists()
    return owner if followed else None


async def _check_forwarded(fed: Federation, activity: dict) -> None:
    """A request signed by another server than the author's: only a forwarded Update or Delete whose author's
    Linked Data signature verifies is taken (federation.ldsignatures); SignatureError otherwise."""
    if type_of(activity) not in FORWARDED_TYPES or not isinstance(activity.get("signature"), dict):
        raise SignatureError("the request is signed by another actor than the activity's")
    await ldsignatures.verify(fed, activity, unverified=True)


async def _limit_address(fed: Federation, address: str | None) -> None:
    """Take a token of the sending address's budget, before anything is verified; RateLimitError (429) when spent."""
    wait = await fed.inbox_limiter.take_address(address)
    if wait is not None:
        raise RateLimitError(f"too many requests from your address; retry in {wait} s", wait)


async def _limit_signer(fed: Federation, key_id: str, key_host: str) -> None:
    """Take a token of the verified signer's and its server's budget; RateLimitError (429) when one is spent."""
    wait = await fed.inbox_limiter.take_signer(key_id, key_host)
    if wait is not None:
        raise RateLimitError(f"too many activities from {key_host}; retry in {wait} s", wait)


async def _refuse_blocked(fed: Federation, *hosts: str) -> None:
    """BlockedError when the instance blocks one of the hosts or a parent domain of one.

    Asks the process's copy of the block list (a block made elsewhere arrives within seconds); the
    worker asks the database again before processing (federation.processing.process_item).
    """
    if await fed.blocked_domains.covers(*hosts):
        raise BlockedError("this server does not accept activities from your domain")


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, within the size and nesting caps."""
    if len(body) > MAX_BODY:
        raise PayloadError(f"the body is larger than {MAX_BODY} bytes", status=413)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not valid UTF-8") from None
    if body.startswith(codecs.BOM_UTF8):  # parse_object would take it, the worker's json.loads of the stored text not
        raise PayloadError("the body starts with a byte order mark: send the JSON without it")
    try:
        return parse_object(body)
    except FetchError as exc:
        raise PayloadError(exc.reason) from None


async def receive(
    fed: Federation, *, method: str, path_with_query: str, headers: Any, body: bytes, address: str | None = None
) -> Received:
    """Check a POST to an inbox and store the activity; raises federation errors for the endpoint to map.

    ``address`` is the sender's IP address: its budget pays for the request until the signature is
    verified; only then is the signer's (and its server's) budget charged.
    """
    await _limit_address(fed, address)
    if len(body) > MAX_BODY:
        raise PayloadError(f"the body is larger than {MAX_BODY} bytes", status=413)
    claim = inspect_request(
        method, f"{fed.urls.base}{path_with_query}", path_with_query, headers, body, expected_host=fed.urls.host
    )
    if not HOST_COMPONENTS & set(claim.covered):
        raise SignatureError("host is not signed")
    activity = parse_body(body)
    activity_id, _, actor = _check_shape(activity)
    try:
        key_host = host_of(claim.key_id)
    except OriginError:
        raise SignatureError("keyId is not an http(s) URL") from None
    actor_host = host_of(actor)
    if max(len(key_host), len(actor_host)) > MAX_HOST_LENGTH:
        raise SignatureError(f"the keyId or actor host is longer than {MAX_HOST_LENGTH} characters")
    await _refuse_blocked(fed, key_host, actor_host)
    signer = await verify(fed, claim)
    await _limit_signer(fed, claim.key_id, key_host)
    if signer != actor:
        if await InboxItem.filter(activity_uri=activity_id).exists():
            return Received(activity_id, actor, stored=False)  # a forwarded copy already here: nothing to check
        await _check_forwarded(fed, activity)
    check_origin(activity, actor, followed_owner=await followed_owner(activity, actor))
    await precheck(fed, activity, actor)
    if fed.urls.is_local(activity_id):
        raise OriginError("activities with this hub's ids are not accepted from elsewhere")
    if not await fed.inbox_writer.store(InboxEntry(activity_id, actor, body.decode("utf-8"))):
        return Received(activity_id, actor, stored=False)
    fed.wake_worker()
    return Received(activity_id, actor, stored=True)
