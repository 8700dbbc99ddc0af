"""Starlette endpoints of the ActivityPub side: inboxes, actor documents and collections.

The web layer mounts these; content negotiation sends browsers to HTML pages instead. When
HUB_AUTHORIZED_FETCH is on, actor, object and collection GETs must carry a valid signature
(the instance actor and WebFinger stay open so peers can bootstrap).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from federation import activities, actors
from federation.context import Federation
from federation.errors import BlockedError, FederationError, PayloadError, RateLimitError, SignatureError
from federation.inbox import receive
from federation.metrics import signature_failure_reason
from federation.responses import ActivityResponse, error_response, fed_of
from federation.signer import get_signer, request_target
from hub.models import Announcement, Group, Post
from hub.services.blocks import instance_blocked
from hub.services.groups import member_counts, proof_key
from hub.services.instance import instance_key

log = logging.getLogger("causeway.inbox")
PAGE_SIZE = 20


async def inbox(request: Request) -> Response:
    """POST to the shared inbox, a group inbox or the instance actor inbox: verify, store, 202."""
    fed = fed_of(request)
    body = await _read_capped(request)
    if body is None:
        return error_response(413, "the body is larger than 1 MiB")
    try:
        received = await receive(
            fed, method="POST", path_with_query=request_target(request), headers=request.headers, body=body,
            address=request.client.host if request.client else None,
        )
    except FederationError as exc:
        fed.metrics.inbox.inc(result="refused")
        return _refusal(fed, exc)
    fed.metrics.inbox.inc(result="stored" if received.stored else "duplicate")
    return Response(status_code=202)


def _refusal(fed: Federation, exc: FederationError) -> Response:
    """The error response for a refused inbox POST; refused signatures are counted by reason."""
    if isinstance(exc, PayloadError):
        return error_response(exc.status, exc.reason)
    if isinstance(exc, SignatureError):
        reason = signature_failure_reason(exc)
        fed.metrics.signature_failures.inc(reason=reason)
        log.info("inbox refused status=401 reason=%s detail=%r", reason, exc.reason)
        return error_response(401, exc.reason)
    if isinstance(exc, BlockedError):
        return error_response(403, exc.reason)
    if isinstance(exc, RateLimitError):
        response = error_response(429, exc.reason)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return error_response(400, exc.reason)  # OriginError and other federation errors


async def _read_capped(request: Request, limit: int = 1_048_576) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def signed_fetch_refusal(request: Request) -> Response | None:
    """Under authorized fetch, a 401 for GETs without a valid signature; None when allowed."""
    fed = fed_of(request)
    if not fed.settings.authorized_fetch:
        return None
    try:
        signer = await get_signer(fed, request)
    except BlockedError as exc:
        return error_response(403, exc.reason)
    except FederationError as exc:
        return error_response(401, f"this hub requires signed requests (authorized fetch): {exc.reason}")
    if await instance_blocked(signer):
        return error_response(403, "this server does not serve your domain")
    return None


async def group_document(request: Request, group: Group) -> Response:
    """The Group actor JSON."""
    refusal = await signed_fetch_refusal(request)
    if refusal is not None:
        return refusal
    fed = fed_of(request)
    await proof_key(group)
    return ActivityResponse(actors.group_actor(group, fed.urls), headers={"Vary": "Accept"})


async def instance_actor(request: Request) -> Response:
    """The instance actor (always open: peers need its key to verify our signed fetches)."""
    key = await instance_key()
    return ActivityResponse(actors.instance_actor(fed_of(request).urls, key.public_key_pem))


def group_collection(handler: Callable[[Request, Group], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a collection endpoint: 404 for an unknown group, the authorized-fetch check, then ``handler``."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        group = await Group.get_or_none(slug=request.path_params["slug"])
        if group is None:
            return error_response(404, "no such group")
        if group.deleted_at is not None:
            return error_response(410, "this group was deleted")
        if group.suspended_at is not None:
            return error_response(410, "this group is suspended by the hub's administrators")
        refusal = await signed_fetch_refusal(request)
        if refusal is not None:
            return refusal
        return await handler(request, group)

    return endpoint


@group_collection
async def followers(request: Request, group: Group) -> Response:
    """The followers collection: its size only — members are not listed publicly; a private group's size is not shown either."""
    doc = actors.ordered_collection(fed_of(request).urls.group_followers(group.slug), 0)
    if group.visibility != "public":
        del doc["totalItems"]
        return ActivityResponse(doc)
    doc["totalItems"] = (await member_counts([group.id])).get(group.id, 0)
    return ActivityResponse(doc)


@group_collection
async def moderators(request: Request, group: Group) -> Response:
    """The moderators collection (the group's attributedTo): owners, admins and moderators; a private group's is empty."""
    if group.visibility != "public":
        doc = actors.ordered_collection(fed_of(request).urls.group_moderators(group.slug), 0)
        doc["orderedItems"] = []
        return ActivityResponse(doc)
    rows = await group.memberships.filter(state="accepted", role__in=["owner", "admin", "moderator"]).prefetch_related("account")
    items = [m.account.uri for m in rows if not m.account.is_local]
    doc = actors.ordered_collection(fed_of(request).urls.group_moderators(group.slug), len(items))
    doc["orderedItems"] = items
    return ActivityResponse(doc)


@group_collection
async def featured(request: Request, group: Group) -> Response:
    """Pinned announcements of the group, then pinned posts, as ids."""
    uris = await Post.filter(group=group, pinned=True, state="published", visibility__in=["public", "unlisted"]).order_by("-id").values_list("uri", flat=True)
    pinned = Announcement.filter(group=group, pinned=True, state="published", object_uri__not_isnull=True)
    uris = list(await pinned.order_by("-id").values_list("object_uri", flat=True)) + list(uris)  # the group's own first
    doc = actors.ordered_collection(fed_of(request).urls.group_featured(group.slug), len(uris))
    doc["orderedItems"] = list(uris)
    return ActivityResponse(doc)


@group_collection
async def outbox(request: Request, group: Group) -> Response:
    """The group's Announces of public posts, newest first, paged by post id (?page=true&max_id=N)."""
    fed = fed_of(request)
    collection = fed.urls.group_outbox(group.slug)
    public = Post.filter(group=group, state="published", visibility__in=["public", "unlisted"])
    if request.query_params.get("page") != "true":
        total = await public.count()
        return ActivityResponse(actors.ordered_collection(collection, total, first=f"{collection}?page=true"))
    max_id = request.query_params.get("max_id", "")
    query = public.filter(id__lt=int(max_id)) if max_id.isdigit() else public
    rows = await query.order_by("-id").limit(PAGE_SIZE)
    items = []
    for post in rows:
        announce = activities.announce_object(fed.urls, group, post)
        announce.pop("@context", None)
        items.append(announce)
    next_page = f"{collection}?page=true&max_id={rows[-1].id}" if len(rows) == PAGE_SIZE else None
    return ActivityResponse(actors.collection_page(collection, str(request.url), items, next_page=next_page))
