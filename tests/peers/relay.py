"""A tiny ActivityPub relay for tests (the Mastodon/LitePub relay protocol), independent of Causeway's code.

Run it from the repository root:

    python -m tests.peers.relay --port P [--host 127.0.0.1]

- ``GET /actor``: the relay's ``Application`` actor (inbox ``/inbox``, its own RSA key).
- ``POST /inbox``: a ``Follow`` (of Public, or of the relay actor) signed by its actor is verified
  (draft-cavage, key fetched from the signer's actor document) and answered with a signed ``Accept``
  to the follower's inbox; the follower becomes a subscriber. ``Undo(Follow)`` unsubscribes.
  Everything else posted is recorded and ignored (a real relay would re-announce it).
- Control API (tests only, unauthenticated): ``GET /_control/health``, ``GET /_control/subscribers``,
  ``GET /_control/received``, ``POST /_control/announce {object}`` sends a signed
  ``Announce{object: <id>}`` to every subscriber's inbox (as LitePub relays do: the object by id,
  to be fetched from its origin; an object given as a dict is embedded), returning the statuses.

Signing and verification come from the Mastodon-like peer's helpers (tests/peers/mastodon_like/signing.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.peers.mastodon_like import signing
from tests.peers.mastodon_like.remote import incoming

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"


class Relay:
    """The relay's state: its key, subscribers (actor id -> inbox) and what it received."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.key = signing.generate_key()
        self.subscribers: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.client: httpx.AsyncClient | None = None

    @property
    def actor_id(self) -> str:
        """The relay actor's id."""
        return f"{self.base}/actor"

    def actor(self) -> dict[str, Any]:
        """The relay's actor document."""
        return {
            "@context": [AS, "https://w3id.org/security/v1"], "id": self.actor_id, "type": "Application",
            "preferredUsername": "relay", "name": "Test relay", "inbox": f"{self.base}/inbox",
            "outbox": f"{self.base}/outbox", "followers": f"{self.base}/followers", "following": f"{self.base}/following",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{self.actor_id}#main-key", "owner": self.actor_id,
                          "publicKeyPem": signing.public_pem(self.key)},
        }

    async def get_json(self, url: str) -> dict[str, Any]:
        """A signed GET of an ActivityStreams document."""
        assert self.client is not None
        headers = signing.sign_cavage("GET", url, f"{self.actor_id}#main-key", self.key)
        response = await self.client.get(url, headers=headers)
        response.raise_for_status()
        return response.json()

    async def deliver(self, inbox: str, activity: dict[str, Any]) -> int | None:
        """POST a signed activity; returns the HTTP status (None on a network error)."""
        assert self.client is not None
        body = json.dumps(activity).encode()
        headers = signing.sign_cavage("POST", inbox, f"{self.actor_id}#main-key", self.key, body)
        try:
            status = (await self.client.post(inbox, content=body, headers=headers)).status_code
        except httpx.HTTPError:
            status = None
        self.sent.append({"inbox": inbox, "type": activity.get("type"), "id": activity.get("id"), "status": status})
        return status

    async def verify(self, request: Request, body: bytes) -> str:
        """The signer's actor id, after checking the cavage signature; ValueError otherwise."""
        req = incoming(request, body)
        header = req.header("signature")
        if header is None:
            raise ValueError("unsigned")
        sig = signing.parse_cavage(header)
        signing.cavage_precheck(req, sig)
        owner_doc = await self.get_json(sig.key_id.split("#", 1)[0])
        key = owner_doc.get("publicKey") or {}
        if key.get("id") != sig.key_id or not signing.verify_cavage(req, sig, key.get("publicKeyPem", "")):
            raise ValueError("signature does not verify")
        return owner_doc["id"]

    # --- HTTP -----------------------------------------------------------------------------------

    async def actor_endpoint(self, request: Request) -> Response:
        """GET /actor."""
        return JSONResponse(self.actor(), media_type=signing.ACTIVITY_JSON)

    async def inbox(self, request: Request) -> Response:
        """POST /inbox: Follow -> Accept, Undo(Follow) -> unsubscribe, anything else recorded."""
        body = await request.body()
        try:
            activity = json.loads(body)
            signer = await self.verify(request, body)
        except (ValueError, signing.SignatureError, httpx.HTTPError) as exc:
            self.received.append({"valid": False, "reason": str(exc)})
            return JSONResponse({"error": str(exc)}, status_code=401)
        kind = activity.get("type")
        self.received.append({"valid": True, "type": kind, "actor": activity.get("actor"), "signer": signer, "activity": activity})
        if activity.get("actor") != signer:
            return JSONResponse({"error": "actor is not the signer"}, status_code=401)
        if kind == "Follow" and activity.get("object") in (PUBLIC, self.actor_id, "as:Public"):
            follower = await self.get_json(signer)
            inbox = follower.get("inbox")
            self.subscribers[signer] = {"inbox": inbox, "follow": activity.get("id")}
            accept = {"@context": AS, "id": f"{self.base}/activities/{uuid.uuid4().hex}", "type": "Accept",
                      "actor": self.actor_id, "to": [signer],
                      "object": {k: activity.get(k) for k in ("id", "type", "actor", "object")}}
            await self.deliver(inbox, accept)
        elif kind == "Undo" and isinstance(activity.get("object"), dict) and activity["object"].get("type") == "Follow":
            self.subscribers.pop(signer, None)
        return Response(status_code=202)

    async def control_health(self, request: Request) -> Response:
        """GET /_control/health."""
        return JSONResponse({"ok": True, "actor": self.actor_id})

    async def control_subscribers(self, request: Request) -> Response:
        """GET /_control/subscribers."""
        return JSONResponse(self.subscribers)

    async def control_received(self, request: Request) -> Response:
        """GET /_control/received."""
        return JSONResponse(self.received)

    async def control_announce(self, request: Request) -> Response:
        """POST {object}: a signed Announce of the object's id to every subscriber (of the object itself when it is a dict)."""
        data = await request.json()
        obj = data["object"] if isinstance(data["object"], dict) else str(data["object"])
        announce = {"@context": AS, "id": f"{self.base}/activities/{uuid.uuid4().hex}", "type": "Announce",
                    "actor": self.actor_id, "object": obj, "to": [f"{self.base}/followers"]}
        statuses = [await self.deliver(sub["inbox"], announce) for sub in self.subscribers.values()]
        return JSONResponse({"id": announce["id"], "statuses": statuses})


def create_app(base: str) -> Starlette:
    """The relay's ASGI app."""
    relay = Relay(base)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            relay.client = client
            yield

    routes = [
        Route("/actor", relay.actor_endpoint),
        Route("/inbox", relay.inbox, methods=["POST"]),
        Route("/_control/health", relay.control_health),
        Route("/_control/subscribers", relay.control_subscribers),
        Route("/_control/received", relay.control_received),
        Route("/_control/announce", relay.control_announce, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.relay = relay
    return app


@dataclass
class RelayHandle:
    """A running relay process and its control API."""

    process: Any
    port: int

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor(self) -> str:
        """The relay actor's id (what ``hub relay follow`` takes)."""
        return f"{self.base}/actor"

    def control(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call the control API: POST with a payload, else GET; returns JSON."""
        url = f"{self.base}/_control/{path}"
        with httpx.Client(timeout=30.0, trust_env=False) as client:
            response = client.post(url, json=payload) if payload is not None else client.get(url)
        response.raise_for_status()
        return response.json()

    def stop(self) -> int | None:
        """Stop the process."""
        return self.process.stop()


def launch_relay(*, log_dir: str | None = None, deadline: float = 20.0) -> RelayHandle:
    """Start ``python -m tests.peers.relay`` on a free port (cwd = repository root) and wait until it answers."""
    from tests.support.processes import ServerProcess, free_port

    port = free_port()
    root = Path(__file__).resolve().parents[2]
    process = ServerProcess([sys.executable, "-m", "tests.peers.relay", "--port", str(port)], cwd=root,
                            env={"PYTHONUNBUFFERED": "1"}, log_dir=log_dir, name=f"relay-{port}")
    try:
        process.wait_http(f"http://127.0.0.1:{port}/_control/health", deadline=deadline, ok_statuses=lambda s: s == 200)
    except BaseException:
        process.stop()
        raise
    return RelayHandle(process, port)


def main(argv: list[str] | None = None) -> None:
    """Serve the relay until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.peers.relay", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(f"http://{args.host}:{args.port}"), host=args.host, port=args.port, log_level="info", lifespan="on")


if __name__ == "__main__":
    main()
