"""The peer's network side: signed GETs and POSTs, WebFinger, key lookup, verification."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urldefrag

import httpx
from starlette.requests import Request

from tests.peers.mastodon_like import activities, signing
from tests.peers.mastodon_like.signing import SignatureError
from tests.peers.mastodon_like.state import LocalActor, PeerState

TIMEOUT = 10.0


class RemoteError(Exception):
    """A remote lookup that failed (HTTP error, bad JSON, missing fields)."""


def new_client() -> httpx.AsyncClient:
    """The peer's HTTP client: 10 s timeout, no proxies from the environment."""
    return httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)


def incoming(request: Request, body: bytes) -> signing.IncomingRequest:
    """Describe a Starlette request for the verifiers (raw path and query)."""
    headers = request.headers

    def header(name: str) -> str | None:
        """Case-insensitive header value, repeats joined."""
        values = headers.getlist(name)
        return ", ".join(v.strip() for v in values) if values else None

    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return signing.IncomingRequest(
        method=request.method,
        scheme=request.url.scheme,
        path=raw_path.decode("latin-1"),
        query=request.scope.get("query_string", b"").decode("latin-1"),
        header=header,
        body=body,
    )


def _tampered(body: bytes) -> bytes:
    """The body changed after signing: a JSON field added, or a trailing space."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body + b" "
    if isinstance(doc, dict):
        doc["tampered"] = True
        return json.dumps(doc).encode()
    return body + b" "


class Remote:
    """Outgoing requests signed like Mastodon, and signature checks of incoming ones."""

    def __init__(self, state: PeerState, client: httpx.AsyncClient) -> None:
        """Bind to the peer state and a shared httpx client."""
        self.state = state
        self.client = client
        cfg = state.config
        self.user_agent = f"http.rb/5.2.0 (Mastodon/{cfg.software_version}; +{cfg.base}/)"

    # ------------------------------------------------------------ outgoing

    async def get(
        self, url: str, *, actor: LocalActor | None = None, sign: bool = True, scheme: str = "cavage"
    ) -> httpx.Response:
        """GET signed by `actor` (default: the instance actor), as Mastodon fetches."""
        url = urldefrag(url)[0]
        signer = actor or self.state.instance
        if not sign:
            headers = {"Accept": signing.FETCH_ACCEPT, "Date": signing.http_date()}
        elif scheme == "rfc9421":
            headers = signing.sign_rfc9421("GET", url, signer.key_id, signer.key)
        else:
            headers = signing.sign_cavage("GET", url, signer.key_id, signer.key)
        headers["User-Agent"] = self.user_agent
        resp = await self.client.get(url, headers=headers)
        self.state.record(self.state.sent, {"method": "GET", "url": url, "status": resp.status_code, "signed": sign})
        return resp

    async def get_json(self, url: str, *, actor: LocalActor | None = None) -> dict[str, Any]:
        """Signed GET returning a JSON object, or RemoteError."""
        try:
            resp = await self.get(url, actor=actor)
        except httpx.HTTPError as exc:
            raise RemoteError(f"GET {url}: {exc!r}") from exc
        if resp.status_code != 200:
            raise RemoteError(f"GET {url}: HTTP {resp.status_code}")
        try:
            doc = resp.json()
        except ValueError as exc:
            raise RemoteError(f"GET {url}: not JSON") from exc
        if not isinstance(doc, dict):
            raise RemoteError(f"GET {url}: not a JSON object")
        return doc

    async def post(
        self,
        actor: LocalActor,
        url: str,
        body: bytes,
        *,
        sign: bool = True,
        scheme: str = "cavage",
        tamper: str | None = None,
        date: str | None = None,
        created: int | None = None,
        key_id: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `body` signed by `actor`; the keyword options make hostile variants."""
        key_id = key_id or actor.key_id
        if not sign:
            headers = {"Content-Type": signing.ACTIVITY_JSON, "Date": date or signing.http_date(),
                       "Digest": signing.digest_header(body)}
        elif scheme == "rfc9421":
            headers = signing.sign_rfc9421("POST", url, key_id, actor.key, body, created=created)
        else:
            headers = signing.sign_cavage("POST", url, key_id, actor.key, body, date=date)
        if tamper in ("body", "signature"):
            body = _tampered(body)
            if tamper == "signature":  # digest made consistent, so only the signature is wrong
                if "Digest" in headers:
                    headers["Digest"] = signing.digest_header(body)
                if "Content-Digest" in headers:
                    headers["Content-Digest"] = signing.content_digest_header(body)
        elif tamper:
            raise ValueError(f"unknown tamper mode {tamper!r}")
        headers["User-Agent"] = self.user_agent
        headers.update(extra_headers or {})
        return await self.client.post(url, content=body, headers=headers)

    async def deliver(self, actor: LocalActor, inbox: str, activity: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Sign and POST an activity; record and return {inbox, status, body}."""
        body = json.dumps(activity).encode()
        try:
            resp = await self.post(actor, inbox, body, **options)
            status, text = resp.status_code, resp.text[:4000]
        except httpx.HTTPError as exc:
            status, text = None, repr(exc)
        self.state.record(self.state.sent, {
            "method": "POST", "url": inbox, "type": activity.get("type"), "activity_id": activity.get("id"),
            "actor": actor.id, "status": status, "body": text, "options": {k: v for k, v in options.items() if v},
        })
        return {"inbox": inbox, "status": status, "body": text}

    # ------------------------------------------------------------ discovery

    async def webfinger(self, handle: str) -> str:
        """Resolve slug@host to the actor URL via WebFinger over http."""
        acct = handle.lstrip("@").removeprefix("acct:")
        if "@" not in acct:
            raise RemoteError(f"not a handle: {handle!r}")
        host = acct.rsplit("@", 1)[1]
        url = f"http://{host}/.well-known/webfinger"
        try:
            resp = await self.client.get(url, params={"resource": f"acct:{acct}"},
                                         headers={"Accept": "application/jrd+json", "User-Agent": self.user_agent},
                                         follow_redirects=True)
        except httpx.HTTPError as exc:
            raise RemoteError(f"WebFinger {acct}: {exc!r}") from exc
        if resp.status_code != 200:
            raise RemoteError(f"WebFinger {acct}: HTTP {resp.status_code}")
        for link in resp.json().get("links", []):
            if link.get("rel") == "self" and link.get("type", "").startswith(("application/activity+json", "application/ld+json")):
                return link["href"]
        raise RemoteError(f"WebFinger {acct}: no self link")

    async def resolve(self, ref: str) -> dict[str, Any]:
        """Actor document for a handle or actor URL (local actors answered directly)."""
        local = self.state.actor(ref)
        if local is not None:
            return activities.actor_document(self.state.config, local)
        url = ref if ref.startswith(("http://", "https://")) else await self.webfinger(ref)
        doc = await self.get_json(url)
        if not doc.get("inbox"):
            raise RemoteError(f"{url} has no inbox")
        return doc

    @staticmethod
    def inbox_of(doc: dict[str, Any]) -> str:
        """sharedInbox if announced, else inbox."""
        endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
        return endpoints.get("sharedInbox") or doc["inbox"]

    # ------------------------------------------------------------ keys and verification

    async def public_key(self, key_id: str, *, refresh: bool = False) -> dict[str, str]:
        """{pem, owner} for a key id: fetched with a signed GET, cached until refresh."""
        cached = self.state.key_cache.get(key_id)
        if cached and not refresh:
            return cached
        try:
            doc = await self.get_json(key_id)
        except RemoteError as exc:
            raise SignatureError(f"key fetch failed: {exc}") from exc
        key = self._find_key(doc, key_id)
        owner = key.get("owner") or doc.get("id")
        if doc.get("publicKeyPem") and owner != doc.get("id"):  # a standalone key document
            try:
                owner_doc = await self.get_json(owner)
            except RemoteError as exc:
                raise SignatureError(f"key owner fetch failed: {exc}") from exc
            self._find_key(owner_doc, key_id)
        entry = {"pem": key["publicKeyPem"], "owner": owner}
        self.state.key_cache[key_id] = entry
        return entry

    @staticmethod
    def _find_key(doc: dict[str, Any], key_id: str) -> dict[str, Any]:
        """The publicKey entry of `doc` whose id is `key_id`."""
        if doc.get("publicKeyPem"):
            candidates: list[Any] = [doc]
        else:
            pk = doc.get("publicKey")
            candidates = pk if isinstance(pk, list) else [pk]
        for key in candidates:
            if isinstance(key, dict) and key.get("id") == key_id and isinstance(key.get("publicKeyPem"), str):
                return key
        raise SignatureError(f"{key_id} not found in the fetched document")

    async def verify(self, request: Request, body: bytes) -> dict[str, Any]:
        """Verdict {valid, reason, scheme, key_id, signer} for an incoming request."""
        req = incoming(request, body)
        verdict: dict[str, Any] = {"valid": False, "reason": None, "scheme": None, "key_id": None, "signer": None}
        try:
            if req.header("signature-input") is not None:
                verdict["scheme"] = "rfc9421"
                if not self.state.config.accept_rfc9421:
                    raise SignatureError("RFC 9421 signature (Signature-Input) not supported; use draft-cavage")
                sig9421 = signing.parse_rfc9421(req.header("signature-input") or "", req.header("signature"))
                verdict["key_id"] = sig9421.key_id
                signing.rfc9421_precheck(req, sig9421)
                authority = req.header("host") or ""

                def check(pem: str) -> bool:
                    """Verify under one PEM."""
                    return signing.verify_rfc9421(req, sig9421, authority, pem)
            else:
                header = req.header("signature")
                if header is None:
                    raise SignatureError("unsigned request")
                verdict["scheme"] = "cavage"
                if self.state.config.rfc9421_only:
                    raise SignatureError("draft-cavage signatures are not accepted here; sign with RFC 9421")
                sig = signing.parse_cavage(header)
                verdict["key_id"] = sig.key_id
                signing.cavage_precheck(req, sig)

                def check(pem: str) -> bool:
                    """Verify under one PEM."""
                    return signing.verify_cavage(req, sig, pem)

            key_id = verdict["key_id"]
            was_cached = key_id in self.state.key_cache
            key = await self.public_key(key_id)
            ok = check(key["pem"])
            if not ok and was_cached:  # the key may have rotated: refetch once, like Mastodon
                key = await self.public_key(key_id, refresh=True)
                ok = check(key["pem"])
            verdict["signer"] = key["owner"]
            if not ok:
                raise SignatureError("signature does not verify")
            verdict["valid"] = True
        except SignatureError as exc:
            verdict["reason"] = str(exc)
        return verdict
