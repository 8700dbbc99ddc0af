"""Who signed a request: the request's own target, and the signer's key checked (refetched once if rotated).

One verification for every signed request the hub receives: the inbox's POSTs
(federation.inbox.receive) and the signed GETs of authorized fetch and members-only posts
(:func:`get_signer`). The signed path is the request's own path and query as the client sent them.
"""

from __future__ import annotations

from starlette.requests import Request

from federation.context import Federation
from federation.errors import SignatureError
from federation.remote import lookup_key, may_refetch
from federation.signatures import SignatureClaim, inspect_request, verify_claim


def request_target(request: Request) -> str:
    """The request's path and query as the client sent them (the ``(request-target)`` / ``@path`` it signed).

    The raw path when the server passes it (uvicorn does), else Starlette's decoded path with the
    characters that would change its meaning escaped; the query is the raw query string.
    """
    scope = request.scope
    raw = scope.get("raw_path")
    if raw:
        path = raw.decode("latin-1").split("?", 1)[0]  # some ASGI clients (httpx's transport) include the query
    else:
        path = scope["path"].replace("%", "%25").replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


async def verify(fed: Federation, claim: SignatureClaim) -> str:
    """Verify the claim with the signer's key (one rate-limited refetch for a rotated key); the signer's actor id."""
    key = await lookup_key(fed, claim.key_id)
    try:
        verify_claim(claim, key.public_key_pem)
    except SignatureError:
        if not may_refetch(fed, claim.key_id):
            raise
        key = await lookup_key(fed, claim.key_id, refresh=True)
        verify_claim(claim, key.public_key_pem)
    return key.actor_uri


def is_signed(request: Request) -> bool:
    """Whether the request carries a signature at all (draft-cavage or RFC 9421)."""
    return "signature" in request.headers or "signature-input" in request.headers


async def get_signer(fed: Federation, request: Request) -> str:
    """The verified signer of a GET; federation errors (SignatureError, BlockedError...) when it is not validly signed."""
    target = request_target(request)
    claim = inspect_request("GET", f"{fed.urls.base}{target}", target, request.headers, None, expected_host=fed.urls.host)
    return await verify(fed, claim)
