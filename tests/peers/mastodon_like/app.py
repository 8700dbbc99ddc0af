"""The peer's Starlette app: the public ActivityPub surface and the inboxes.

The test-only control API lives in `control.py`; `create_app` mounts both.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.peers.mastodon_like import activities, ldsign, signing, timeline
from tests.peers.mastodon_like.remote import Remote, RemoteError, new_client
from tests.peers.mastodon_like.signing import SignatureError
from tests.peers.mastodon_like.state import Config, LocalActor, PeerState


GROUP_AWARE = frozenset({"lemmy", "mbin", "kbin", "friendica"})
"""Software names the peer may announce whose servers do not act on Move."""


def ap_json(doc: Any, status: int = 200, background: BackgroundTask | None = None) -> JSONResponse:
    """JSON response with content-type application/activity+json."""
    return JSONResponse(doc, status_code=status, media_type=signing.ACTIVITY_JSON, background=background)


class Peer:
    """One running peer: configuration, state, HTTP side, and the public handlers."""

    def __init__(self, config: Config) -> None:
        """Create the state; the HTTP client is opened by the app lifespan."""
        self.config = config
        self.state = PeerState(config)
        self.remote: Remote | None = None

    @property
    def net(self) -> Remote:
        """The Remote, available while the app runs."""
        assert self.remote is not None, "peer app not started"
        return self.remote

    # ------------------------------------------------------------ discovery

    async def webfinger(self, request: Request) -> Response:
        """JRD for acct:name@domain (or the actor URL)."""
        resource = request.query_params.get("resource", "")
        actor = None
        if resource.startswith("acct:"):
            name, _, domain = resource[5:].rpartition("@")
            if domain == self.config.domain:
                actor = self.state.actors.get(name)
        elif resource.startswith("http"):
            actor = self.state.actor_by_id(resource)
        if actor is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(activities.webfinger(self.config, actor), media_type="application/jrd+json")

    async def nodeinfo_index(self, request: Request) -> Response:
        """/.well-known/nodeinfo."""
        return JSONResponse(activities.nodeinfo_index(self.config))

    async def nodeinfo(self, request: Request) -> Response:
        """/nodeinfo/2.0."""
        doc = activities.nodeinfo(self.config, len(self.state.actors), len(self.state.notes))
        return JSONResponse(doc, media_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"')

    async def authorize_interaction(self, request: Request) -> Response:
        """Record the remote-interaction uri and show a page, as Mastodon does."""
        uri = request.query_params.get("uri", "")
        self.state.interactions.append(uri)
        return HTMLResponse(f"<!doctype html><html><body><h1>Interact</h1><p class='uri'>{html.escape(uri)}</p></body></html>")

    # ------------------------------------------------------------ actors, notes, collections

    def _actor_or_404(self, request: Request) -> LocalActor | None:
        """The local actor named in the path."""
        return self.state.actors.get(request.path_params["name"])

    async def _record_fetch(self, request: Request, gated: bool) -> dict[str, Any] | None:
        """Record a GET; when `gated` and authorized fetch is on, verify it and return the verdict."""
        entry: dict[str, Any] = {"path": request.url.path, "headers": dict(request.headers),
                                 "signed": "signature" in request.headers, "valid": None, "reason": None}
        verdict = None
        if gated and self.config.authorized_fetch:
            verdict = await self.net.verify(request, b"")
            entry.update(valid=verdict["valid"], reason=verdict["reason"], key_id=verdict["key_id"], signer=verdict["signer"],
                         scheme=verdict["scheme"])
        self.state.record(self.state.fetches, entry)
        return verdict

    async def actor(self, request: Request) -> Response:
        """GET /users/{name}: the actor document (never gated, like Mastodon's key access)."""
        actor = self._actor_or_404(request)
        await self._record_fetch(request, gated=False)
        if actor is None:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        return ap_json(activities.actor_document(self.config, actor))

    async def instance_actor(self, request: Request) -> Response:
        """GET /actor: the instance actor that signs the peer's fetches."""
        await self._record_fetch(request, gated=False)
        return ap_json(activities.actor_document(self.config, self.state.instance))

    async def collection(self, request: Request) -> Response:
        """followers / following / outbox / featured: counts only."""
        actor = self._actor_or_404(request)
        verdict = await self._record_fetch(request, gated=True)
        if verdict is not None and not verdict["valid"]:
            return JSONResponse({"error": "Request not signed"}, status_code=401)
        if actor is None:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        kind = request.url.path.rsplit("/", 1)[1]
        total = {"followers": len(actor.followers),
                 "outbox": sum(1 for n in self.state.notes.values() if n["actor"] == actor.name),
                 }.get(kind, 0)
        return ap_json(activities.collection(f"{actor.id}/{kind}" if kind != "featured" else f"{actor.id}/collections/featured", total))

    async def status(self, request: Request) -> Response:
        """GET /users/{name}/statuses/{sid}[/activity]: the Note or its Create."""
        verdict = await self._record_fetch(request, gated=True)
        if verdict is not None and not verdict["valid"]:
            return JSONResponse({"error": "Request not signed"}, status_code=401)
        actor = self._actor_or_404(request)
        record = None
        if actor is not None:
            record = self.state.notes.get(f"{actor.id}/statuses/{request.path_params['sid']}")
        if record is None or record["deleted"]:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        if record["visibility"] in ("followers", "direct"):
            signer = (verdict or {}).get("signer")
            allowed = set(record["note"]["to"]) | set(record["note"]["cc"])
            if not (verdict and verdict["valid"] and (signer in allowed or signer in actor.followers)):
                return JSONResponse({"error": "Record not found"}, status_code=404)
        if request.url.path.endswith("/activity"):
            return ap_json(record["create"])
        return ap_json({"@context": activities.NOTE_CONTEXT, **record["note"]})

    async def document(self, request: Request) -> Response:
        """GET /d/{path}: a document stored through the control API (objects shaped as another software serves them)."""
        await self._record_fetch(request, gated=False)
        doc = self.state.documents.get(request.path_params["path"])
        if doc is None:
            return JSONResponse({"error": "Record not found"}, status_code=404)
        return ap_json(doc)

    # ------------------------------------------------------------ inbox

    async def inbox(self, request: Request) -> Response:
        """POST /inbox, /users/{name}/inbox, /actor/inbox: verify, record, react."""
        body = await request.body()
        try:
            activity = json.loads(body)
        except ValueError:
            activity = None
        entry: dict[str, Any] = {
            "path": request.url.path,
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
            "activity": activity,
            "type": activity.get("type") if isinstance(activity, dict) else None,
        }
        name = request.path_params.get("name")
        if name is not None and name not in self.state.actors:
            entry.update(valid=None, reason="no such actor", status=404)
            self.state.record(self.state.received, entry)
            return JSONResponse({"error": "Record not found"}, status_code=404)
        verdict = await self.net.verify(request, body)
        actor_id = activity.get("actor") if isinstance(activity, dict) else None
        if isinstance(actor_id, dict):
            actor_id = actor_id.get("id")
        entry.update(valid=verdict["valid"], reason=verdict["reason"], scheme=verdict["scheme"],
                     key_id=verdict["key_id"], signer=verdict["signer"],
                     actor_matches=bool(actor_id) and actor_id == verdict["signer"])
        if verdict["valid"] and not entry["actor_matches"] and isinstance(activity, dict) and actor_id:
            entry["ld_verified"], entry["ld_reason"] = await self._ld_author(activity, actor_id)
        if not verdict["valid"]:
            entry["status"] = 401
            self.state.record(self.state.received, entry)
            return JSONResponse({"error": verdict["reason"]}, status_code=401)
        if not isinstance(activity, dict):
            entry["status"] = 400
            self.state.record(self.state.received, entry)
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        entry["status"] = 202
        self.state.record(self.state.received, entry)
        if entry["actor_matches"]:
            background = self._react(activity, actor_id)
        elif entry.get("ld_verified"):  # forwarded, signed by its author: applied as the author's (Mastodon)
            timeline.apply(self.state, activity, actor_id)
            background = None
        else:
            background = None
        return Response(status_code=202, background=background)

    async def _ld_author(self, activity: dict[str, Any], actor_id: str) -> tuple[bool, str]:
        """Whether a forwarded activity's LD signature is its actor's (Mastodon's verify_account!), and why not."""
        sig = activity.get("signature")
        if not isinstance(sig, dict) or sig.get("type") != "RsaSignature2017" or not isinstance(sig.get("creator"), str):
            return False, "no RsaSignature2017"
        try:
            key = await self.net.public_key(sig["creator"])
        except SignatureError as exc:
            return False, str(exc)
        if key["owner"] != actor_id:
            return False, "the signature's creator is not the actor"
        if self.state.actor_by_id(actor_id) is not None:
            return False, "the author is local"  # Mastodon ignores forwarded copies of its own users' activities
        if not ldsign.verify(activity, key["pem"]):
            return False, "the LD signature does not verify"
        return True, "verified"

    def _react(self, activity: dict[str, Any], actor_id: str) -> BackgroundTask | None:
        """Side effects of a verified activity by `actor_id`; returns work to run after responding."""
        kind = activity.get("type")
        obj = activity.get("object")
        obj_id = obj.get("id") if isinstance(obj, dict) else obj
        timeline.apply(self.state, activity, actor_id)
        if kind == "Announce" and isinstance(obj, str):
            return BackgroundTask(self._boost, obj, actor_id)
        if kind == "Follow" and isinstance(obj_id, str):
            local = self.state.actor_by_id(obj_id)
            if local is not None and local is not self.state.instance:
                local.followers[actor_id] = {"follow_id": activity.get("id"), "state": "pending"}
                if self.config.auto_accept:
                    return BackgroundTask(self._accept_follow, local, actor_id, activity)
        elif kind == "Undo" and isinstance(obj, dict) and obj.get("type") == "Follow":
            local = self.state.actor_by_id(obj.get("object") if isinstance(obj.get("object"), str) else "")
            if local is not None:
                local.followers.pop(actor_id, None)
        elif kind in ("Accept", "Reject"):
            follow = self.state.follows.get(obj_id) if isinstance(obj_id, str) else None
            if follow is None and isinstance(obj, dict):  # embedded Follow without a known id
                follow = next((f for f in self.state.follows.values()
                               if f["actor"] == obj.get("actor") and f["target"] == obj.get("object")), None)
            if follow is not None and follow["target"] == actor_id:
                follow["state"] = "accepted" if kind == "Accept" else "rejected"
        elif kind == "Delete" and obj_id == actor_id:  # the actor deleted itself: Mastodon drops it and its follows
            for follow in self.state.follows.values():
                if follow["target"] == actor_id:
                    follow["state"] = "deleted"
        elif kind == "Move" and obj_id == actor_id and actor_id not in self.state.moving \
                and self.config.software not in GROUP_AWARE:  # run as Lemmy, the peer moves no follows, as Lemmy
            target = activity.get("target")
            target_id = target.get("id") if isinstance(target, dict) else target
            if isinstance(target_id, str):
                self.state.moving.add(actor_id)  # Mastodon's move_in_progress key: one Move of an origin at a time
                return BackgroundTask(self._move_follows, actor_id, target_id)
        return None

    async def _boost(self, status_id: str, booster: str) -> None:
        """Fetch an announced status and keep it, as Mastodon's Announce handler does (timeline.boost)."""
        try:
            doc = await self.net.get_json(status_id)
        except RemoteError:
            return
        timeline.boost(self.state, doc, booster, status_id)

    async def _move_follows(self, origin: str, target: str) -> None:
        """Mastodon's Move (app/lib/activitypub/activity/move.rb, MoveWorker, UnfollowFollowWorker).

        The target is fetched afresh and must list the origin in ``alsoKnownAs`` (else nothing
        happens, and the origin may move again later); then every local account following the origin
        follows the target and unfollows the origin.
        """
        record: dict[str, Any] = {"origin": origin, "target": target}
        try:
            doc = await self.net.get_json(target)
        except RemoteError as exc:
            self.state.moving.discard(origin)
            self.state.record(self.state.moves, {**record, "outcome": "unreachable", "reason": str(exc)})
            return
        aliases = doc.get("alsoKnownAs")
        aliases = aliases if isinstance(aliases, list) else [aliases]
        if doc.get("id") != target or origin not in [a.get("id") if isinstance(a, dict) else a for a in aliases]:
            self.state.moving.discard(origin)
            self.state.record(self.state.moves, {**record, "outcome": "refused",
                                                 "reason": "the target does not list the origin in alsoKnownAs"})
            return
        moved = []
        for follow in list(self.state.follows.values()):
            if follow["target"] != origin or follow.get("state") not in ("accepted", "pending"):
                continue
            local = self.state.actor_by_id(follow["actor"])
            if local is None:
                continue
            act = activities.follow(self.config, local, target)
            self.state.follows[act["id"]] = {"id": act["id"], "actor": local.id, "target": target, "inbox": doc["inbox"],
                                             "activity": act, "state": "pending", "moved_from": origin}
            await self.net.deliver(local, doc["inbox"], act)
            await self.net.deliver(local, follow["inbox"], activities.undo(local, follow["activity"]))
            follow["state"] = "undone"
            moved.append(local.id)
        self.state.record(self.state.moves, {**record, "outcome": "moved", "followers": moved})

    async def _accept_follow(self, local: LocalActor, follower: str, follow: dict[str, Any]) -> None:
        """Send Accept for a received Follow and remember the follower's inbox."""
        try:
            doc = await self.net.resolve(follower)
        except RemoteError as exc:
            self.state.record(self.state.sent, {"method": "POST", "type": "Accept", "status": None, "body": str(exc)})
            return
        info = local.followers.setdefault(follower, {"follow_id": follow.get("id")})
        info.update(state="accepted", inbox=doc["inbox"], shared_inbox=self.net.inbox_of(doc))
        await self.net.deliver(local, doc["inbox"], activities.accept(local, follow, self.state.next_status_id()))


def create_app(config: Config) -> Starlette:
    """Build the peer's ASGI app (public routes + control API)."""
    from tests.peers.mastodon_like.control import control_routes

    peer = Peer(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Open and close the shared httpx client."""
        async with new_client() as client:
            peer.remote = Remote(peer.state, client)
            yield

    routes = [
        Route("/.well-known/webfinger", peer.webfinger),
        Route("/.well-known/nodeinfo", peer.nodeinfo_index),
        Route("/nodeinfo/2.0", peer.nodeinfo),
        Route("/authorize_interaction", peer.authorize_interaction),
        Route("/actor", peer.instance_actor),
        Route("/actor/inbox", peer.inbox, methods=["POST"]),
        Route("/inbox", peer.inbox, methods=["POST"]),
        Route("/users/{name}", peer.actor),
        Route("/users/{name}/inbox", peer.inbox, methods=["POST"]),
        Route("/users/{name}/outbox", peer.collection),
        Route("/users/{name}/followers", peer.collection),
        Route("/users/{name}/following", peer.collection),
        Route("/users/{name}/collections/featured", peer.collection),
        Route("/users/{name}/statuses/{sid}", peer.status),
        Route("/users/{name}/statuses/{sid}/activity", peer.status),
        Route("/d/{path:path}", peer.document),
        *control_routes(peer),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.peer = peer
    return app
