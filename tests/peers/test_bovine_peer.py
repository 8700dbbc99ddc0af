"""The bovine-herd test peer works on its own, without Causeway.

A tiny actor written here (Starlette under uvicorn in a thread, signing with `cryptography`
directly) plays the remote side: bovine's actor follows it, it checks bovine's draft-cavage
signature against the key it fetched from bovine with a signed GET, answers with a signed
Accept, and bovine lists the Accept in the inbox and the actor under `following`. The same
actor then shows which Announce shapes and which signature schemes bovine takes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import time
from email.utils import formatdate
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.integration.bovine_peer import BovinePeer, bovine_available, bovine_unavailable_reason

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(240),  # the first test may build the bovine venv (about a minute)
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_JSON = "application/activity+json"


# --- signing and verifying (draft-cavage and RFC 9421), with cryptography only ------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cavage_sign(key: rsa.RSAPrivateKey, key_id: str, method: str, url: str,
                body: bytes | None = None) -> dict[str, str]:
    """Headers for a draft-cavage rsa-sha256 signed request (Mastodon's shape)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"host": parts.netloc, "date": formatdate(usegmt=True)}
    names = ["(request-target)", "host", "date"]
    if body is not None:
        headers["digest"] = "SHA-256=" + b64(hashlib.sha256(body).digest())
        headers["content-type"] = AP_JSON
        names += ["digest", "content-type"]
    else:
        headers["accept"] = AP_JSON
        names += ["accept"]
    lines = [f"(request-target): {method.lower()} {target}" if name == "(request-target)"
             else f"{name}: {headers[name]}" for name in names]
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",'
                            f'headers="{" ".join(names)}",signature="{b64(signature)}"')
    return headers


def rfc9421_sign(key: rsa.RSAPrivateKey, key_id: str, method: str, url: str,
                 body: bytes) -> dict[str, str]:
    """Headers for an RFC 9421 rsa-v1_5-sha256 signed POST with Content-Digest (RFC 9530)."""
    parts = urlsplit(url)
    headers = {
        "host": parts.netloc,
        "date": formatdate(usegmt=True),
        "content-type": AP_JSON,
        "content-digest": f"sha-256=:{b64(hashlib.sha256(body).digest())}:",
    }
    components = ["@method", "@authority", "@path", "content-digest", "date"]
    params = (f'({" ".join(chr(34) + c + chr(34) for c in components)})'
              f';created={int(time.time())};keyid="{key_id}";alg="rsa-v1_5-sha256"')
    values = {"@method": method.upper(), "@authority": parts.netloc, "@path": parts.path}
    lines = [f'"{c}": {values.get(c, headers.get(c))}' for c in components]
    lines.append(f'"@signature-params": {params}')
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature-input"] = f"sig1={params}"
    headers["signature"] = f"sig1=:{b64(signature)}:"
    return headers


def parse_cavage(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def verify_cavage(method: str, path: str, headers: dict[str, str], public_key_pem: str) -> None:
    """Raises cryptography.exceptions.InvalidSignature unless the signature is valid."""
    params = parse_cavage(headers["signature"])
    lines = [f"(request-target): {method.lower()} {path}" if name == "(request-target)"
             else f"{name}: {headers[name]}" for name in params["headers"].split()]
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    public_key.verify(base64.b64decode(params["signature"]), "\n".join(lines).encode(),
                      padding.PKCS1v15(), hashes.SHA256())


# --- the remote actor ---------------------------------------------------------------------


class RemoteActor:
    """One actor at http://127.0.0.1:PORT/actor that records what it receives."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.id = f"{self.base}/actor"
        self.key_id = f"{self.id}#main-key"
        self.received: list[dict] = []  # POSTs to the inbox
        self.gets: list[dict] = []  # GETs of the actor document
        self.notes: dict[str, dict] = {}
        self._server = None
        self._thread: threading.Thread | None = None

    def document(self) -> dict:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": "remote",
            "inbox": f"{self.base}/inbox",
            "outbox": f"{self.base}/outbox",
            "followers": f"{self.base}/followers",
            "following": f"{self.base}/following",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": pem},
        }

    def app(self) -> Starlette:
        async def actor(request: Request) -> Response:
            self.gets.append({"headers": dict(request.headers), "path": request.url.path})
            return JSONResponse(self.document(), media_type=AP_JSON)

        async def inbox(request: Request) -> Response:
            body = await request.body()
            self.received.append({"path": request.url.path, "headers": dict(request.headers),
                                  "body": body, "json": json.loads(body)})
            return Response(status_code=202)

        async def note(request: Request) -> Response:
            found = self.notes.get(str(request.url).split("?")[0])
            if found is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(found, media_type=AP_JSON)

        return Starlette(routes=[
            Route("/actor", actor),
            Route("/inbox", inbox, methods=["POST"]),
            Route("/notes/{n}", note),
        ])

    def start(self) -> "RemoteActor":
        import uvicorn

        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "remote actor did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
        self.sock.close()

    def signed_get(self, url: str) -> httpx.Response:
        return httpx.get(url, headers=cavage_sign(self.key, self.key_id, "GET", url))

    def post(self, inbox: str, activity: dict, scheme: str = "cavage") -> httpx.Response:
        body = json.dumps(activity).encode()
        sign = cavage_sign if scheme == "cavage" else rfc9421_sign
        headers = sign(self.key, self.key_id, "POST", inbox, body)
        return httpx.post(inbox, content=body, headers=headers)

    def wait_for(self, activity_type: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for request in self.received:
                if request["json"].get("type") == activity_type:
                    return request
            time.sleep(0.05)
        raise AssertionError(f"no {activity_type} arrived; got {self.received!r}")


@pytest.fixture
def peer(tmp_path):
    # Checked here, not in a module-level skipif, so that collecting or deselecting these
    # tests never builds the venv.
    if not bovine_available():
        pytest.skip(bovine_unavailable_reason())
    started = BovinePeer.start(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def remote():
    actor = RemoteActor().start()
    yield actor
    actor.stop()


def by_id(activity_id: str):
    return lambda item: item.get("id") == activity_id


# --- tests --------------------------------------------------------------------------------


def test_bovine_follows_remote_actor_and_takes_the_accept(peer: BovinePeer, remote: RemoteActor):
    alice = peer.register("alice")
    assert alice.startswith(peer.base_url + "/")
    alice_inbox = peer.actors["alice"]["inbox"]

    # bovine serves its actors only to signed GETs (authorized fetch).
    assert httpx.get(alice, headers={"accept": AP_JSON}).status_code == 401

    result = peer.follow_result("alice", remote.id)
    follow_id = result["id"]
    assert [(d["inbox"], d["status"]) for d in result["deliveries"]] == [
        (f"{remote.base}/inbox", 202)
    ]

    # bovine looked up our inbox with a signed GET as alice before delivering.
    assert any(parse_cavage(g["headers"].get("signature", "")).get("keyId", "").startswith(alice)
               for g in remote.gets)

    request = remote.wait_for("Follow")
    follow, headers = request["json"], request["headers"]
    assert follow["id"] == follow_id and follow_id.startswith(peer.base_url + "/objects/")
    assert follow["actor"] == alice and follow["object"] == remote.id
    assert follow["@context"][0] == AS_CONTEXT

    # draft-cavage rsa-sha256 over (request-target) host date digest content-type,
    # keyId "<actor>#serverKey", Digest with a lower-case "sha-256=" prefix.
    params = parse_cavage(headers["signature"])
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest content-type"
    assert params["keyId"] == f"{alice}#serverKey"
    algorithm, digest = headers["digest"].split("=", 1)
    assert algorithm.lower() == "sha-256"
    assert base64.b64decode(digest) == hashlib.sha256(request["body"]).digest()

    # The key, fetched the way any server would: signed GET of the keyId's document.
    fetched = remote.signed_get(params["keyId"].split("#")[0])
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith(AP_JSON)
    document = fetched.json()
    assert document["id"] == alice and document["inbox"] == alice_inbox
    assert document["publicKey"]["id"] == params["keyId"]
    assert document["publicKey"]["owner"] == alice
    verify_cavage("POST", request["path"], headers, document["publicKey"]["publicKeyPem"])

    # Answer with a signed Accept that embeds the Follow (Mastodon's shape).
    accept = {
        "@context": AS_CONTEXT,
        "id": f"{remote.base}/accepts/1",
        "type": "Accept",
        "actor": remote.id,
        "object": follow,
        "to": [alice],
    }
    response = remote.post(alice_inbox, accept)
    assert response.status_code == 202, response.text

    item = peer.wait_for_inbox("alice", by_id(accept["id"]))
    assert item["type"] == "Accept" and item["actor"] == remote.id
    deadline = time.monotonic() + 10
    while remote.id not in peer.following("alice"):
        assert time.monotonic() < deadline, peer.log()
        time.sleep(0.1)
    assert peer.missing_contexts() == []


def test_announce_shapes_and_signature_schemes(peer: BovinePeer, remote: RemoteActor):
    """Which Announce shapes land in bovine's inbox, and which signatures it takes."""
    alice = peer.register("alice")
    inbox = peer.actors["alice"]["inbox"]
    note_id = f"{remote.base}/notes/1"
    note = {"@context": AS_CONTEXT, "id": note_id, "type": "Note", "attributedTo": remote.id,
            "content": "hello", "to": [PUBLIC], "cc": [alice]}
    remote.notes[note_id] = note

    def announce(n: int, obj) -> dict:
        return {"@context": AS_CONTEXT, "id": f"{remote.base}/announces/{n}", "type": "Announce",
                "actor": remote.id, "object": obj, "to": [PUBLIC], "cc": [alice]}

    by_reference = announce(1, note_id)
    embedded_note = announce(2, {k: v for k, v in note.items() if k != "@context"})
    member_create = {  # FEP-1b12: the group re-sends a member's Create unchanged
        "id": "http://127.0.0.9:9/activities/create-7", "type": "Create",
        "actor": "http://127.0.0.9:9/users/bob", "audience": remote.id,
        "to": [PUBLIC], "cc": [remote.id],
        "object": {"id": "http://127.0.0.9:9/notes/7", "type": "Note",
                   "attributedTo": "http://127.0.0.9:9/users/bob", "content": "from bob",
                   "audience": remote.id, "to": [PUBLIC], "cc": [remote.id]},
    }
    wrapped_create = announce(3, member_create)
    rfc9421 = announce(4, note_id)

    for activity in (by_reference, embedded_note, wrapped_create):
        response = remote.post(inbox, activity)
        assert response.status_code == 202, response.text
    # bovine fetched our key with a signed GET by its application actor.
    key_fetchers = {parse_cavage(g["headers"]["signature"])["keyId"] for g in remote.gets}
    assert key_fetchers == {f"{peer.base_url}/activitypub/bovine#main-key"}
    response = remote.post(inbox, rfc9421, scheme="rfc9421")
    assert response.status_code == 202, response.text  # RFC 9421 is accepted too

    for activity in (by_reference, embedded_note, wrapped_create, rfc9421):
        item = peer.wait_for_inbox("alice", by_id(activity["id"]))
        assert item["type"] == "Announce"
    # bovine stores embedded objects on their own and embeds them back when listing;
    # an object known only by reference (by_reference) is not fetched.
    items = {item["id"]: item for item in peer.inbox("alice")}
    assert items[embedded_note["id"]]["object"]["content"] == "hello"
    assert items[wrapped_create["id"]]["object"]["type"] == "Create"
    assert items[wrapped_create["id"]]["object"]["object"] == "http://127.0.0.9:9/notes/7"

    # Unsigned and wrongly signed POSTs are refused with 401.
    forged = announce(5, note_id)
    assert httpx.post(inbox, json=forged).status_code == 401
    body = json.dumps(forged).encode()
    headers = cavage_sign(remote.key, remote.key_id, "POST", inbox, body)
    assert httpx.post(inbox, content=body + b" ", headers=headers).status_code == 401
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = cavage_sign(other_key, remote.key_id, "POST", inbox, body)
    assert httpx.post(inbox, content=body, headers=headers).status_code == 401
    assert peer.missing_contexts() == []
