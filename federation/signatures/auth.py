"""``SigningAuth``: an httpx authentication hook that signs every outgoing request.

Use it on the one shared client or per request: ``client.post(url, content=body, auth=SigningAuth(...))``.
GET and HEAD requests without a body are signed without a digest; everything else signs its body.
``DoubleKnock`` signs fetches with the scheme a server accepted, retrying with the other on a 401.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import httpx

from . import cavage, rfc9421

SCHEMES = ("cavage", "rfc9421")


class SigningAuth(httpx.Auth):
    """Sign each request as ``key_id`` with draft-cavage (Mastodon style) or RFC 9421."""

    requires_request_body = True

    def __init__(self, key_id: str, private_key_pem: str, scheme: str = "cavage") -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown signature scheme {scheme!r}")
        self.key_id = key_id
        self.private_key_pem = private_key_pem
        self.scheme = scheme

    def sign_request(self, request: httpx.Request) -> httpx.Request:
        """Add the signature headers to ``request`` in place and return it."""
        content = request.content
        body = None if request.method.upper() in ("GET", "HEAD") and not content else content
        host = request.headers.get("host")  # httpx has set it; sign exactly what is sent
        signer = cavage.sign if self.scheme == "cavage" else rfc9421.sign
        signed = signer(
            request.method,
            str(request.url),
            {"Host": host} if host else {},
            body,
            self.key_id,
            self.private_key_pem,
        )
        for name, value in signed.items():
            request.headers[name] = value
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request, then send it once."""
        yield self.sign_request(request)


def other_scheme(scheme: str) -> str:
    """The scheme to knock with after ``scheme`` got a 401."""
    return SCHEMES[1 - SCHEMES.index(scheme)]


class SchemeMemory(Protocol):
    """Where the scheme each server accepted is kept (federation.peer_schemes: in the ``peers`` table)."""

    async def first(self, host: str) -> str:
        """The scheme to try first with ``host``."""

    async def accepted(self, host: str, scheme: str) -> None:
        """``host`` answered a request signed with ``scheme`` with something other than 401."""


class DoubleKnock:
    """Signs GETs as one key, first with the scheme the server accepted last, then with the other on a 401.

    federation.fetch sends each request with ``auth(await first(host))`` and, on a 401, once more with
    ``auth(other_scheme(...))``; the scheme that was not refused is remembered (``accepted``), as POSTs do.
    """

    def __init__(self, key_id: str, private_key_pem: str, memory: SchemeMemory) -> None:
        self._auths = {scheme: SigningAuth(key_id, private_key_pem, scheme=scheme) for scheme in SCHEMES}
        self.memory = memory

    def auth(self, scheme: str) -> SigningAuth:
        """The httpx auth that signs with ``scheme``."""
        return self._auths[scheme]
