"""``SigningAuth``: an httpx authentication hook that signs every outgoing request.

Use it on the one shared client or per request: ``client.post(url, content=body, auth=SigningAuth(...))``.
GET and HEAD requests without a body are signed without a digest; everything else signs its body.
"""

from __future__ import annotations

from collections.abc import Generator

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
