"""Test-only control API of the peer (JSON in/out, unauthenticated): /_control/...

Tests drive the peer through it: create actors, follow, post, edit, delete,
send arbitrary (hostile) activities, fetch with signatures, and read what the
peer received.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.peers.mastodon_like import activities, ldsign, signing
from tests.peers.mastodon_like.remote import RemoteError
from tests.peers.mastodon_like.state import PUBLIC, LocalActor

if TYPE_CHECKING:
    from tests.peers.mastodon_like.app import Peer

Handler = Callable[[Request], Awaitable[Response]]


class ControlError(Exception):
    """A control request that cannot be served: (status, message)."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status with the message."""
        super().__init__(message)
        self.status = status


def _json_errors(handler: Callable[[Request], Awaitable[Any]]) -> Handler:
    """Turn a handler returning a dict into a JSON endpoint with JSON errors."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        """Run the handler; map errors to 400/404/502."""
        try:
            result = await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except RemoteError as exc:
            return JSONResponse({"error": str(exc)}, status_code=502)
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad request: {exc!r}"}, status_code=400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return wrapper


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of a control request (empty body allowed)."""
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ControlError(400, "expected a JSON object")
    return data


def _dedupe(items: list[str]) -> list[str]:
    """Remove repeats, keeping order."""
    return list(dict.fromkeys(items))


def control_routes(peer: Peer) -> list[Route]:
    """Routes of the control API bound to `peer`."""
    state, cfg = peer.state, peer.config

    def need_actor(ref: Any) -> LocalActor:
        """The local actor `ref` (name, id or handle), or 404."""
        actor = state.actor(str(ref or ""))
        if actor is None:
            raise ControlError(404, f"no local actor {ref!r}")
        return actor

    def actor_info(actor: LocalActor) -> dict[str, Any]:
        """What tests need to know about a local actor."""
        return {
            "name": actor.name, "id": actor.id, "handle": f"{actor.name}@{cfg.domain}",
            "inbox": f"{actor.id}/inbox", "shared_inbox": f"{cfg.base}/inbox", "key_id": actor.key_id,
            "public_key_pem": actor.public_key_pem, "private_key_pem": signing.private_pem(actor.key),
            "followers": actor.followers,
        }

    def ld_signed(actor: LocalActor, record: dict[str, Any], activity: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The activity with the author's RsaSignature2017 when Mastodon adds one: public or unlisted, not in
        secure mode (authorized fetch); ``"ld_sign": false`` in the request leaves it out."""
        if record["visibility"] not in ("public", "unlisted") or cfg.authorized_fetch or data.get("ld_sign") is False:
            return activity
        return ldsign.sign(activity, actor.key_id, actor.key)

    async def deliver_all(actor: LocalActor, inboxes: list[str], activity: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver to each inbox in turn (Mastodon's workers, made synchronous)."""
        return [await peer.net.deliver(actor, inbox, activity) for inbox in inboxes]

    @_json_errors
    async def health(request: Request) -> dict[str, Any]:
        """GET /_control/health."""
        return {"ok": True, "domain": cfg.domain, "base": cfg.base, "software": cfg.software,
                "authorized_fetch": cfg.authorized_fetch, "accept_rfc9421": cfg.accept_rfc9421,
                "auto_accept": cfg.auto_accept, "instance_actor": state.instance.id}

    @_json_errors
    async def actors(request: Request) -> Any:
        """POST {name, type?, extra?} creates (idempotent; ``extra`` properties replace the document's); GET lists."""
        if request.method == "GET":
            return [actor_info(a) for a in state.actors.values()]
        data = await _body(request)
        name = str(data["name"])
        if not re.fullmatch(r"[A-Za-z0-9_]{1,30}", name):
            raise ControlError(400, f"invalid actor name {name!r}")
        kind = str(data.get("type") or "Person")
        if kind not in ("Person", "Group", "Service", "Organization"):
            raise ControlError(400, f"invalid actor type {kind!r}")
        actor = state.actors.get(name)
        if actor is None:
            actor = LocalActor(name=name, id=f"{cfg.base}/users/{name}", type=kind, key=signing.generate_key())
            state.actors[name] = actor
        if isinstance(data.get("extra"), dict):
            actor.extra = dict(data["extra"])
        return actor_info(actor)

    @_json_errors
    async def documents(request: Request) -> dict[str, Any]:
        """POST {path, document}: serve ``document`` at ``/d/<path>`` (another software's objects and collections)."""
        data = await _body(request)
        path = str(data["path"]).strip("/")
        if not re.fullmatch(r"[A-Za-z0-9_./-]{1,200}", path) or ".." in path:
            raise ControlError(400, f"invalid document path {path!r}")
        if not isinstance(data.get("document"), dict):
            raise ControlError(400, "document must be a JSON object")
        state.documents[path] = data["document"]
        return {"url": f"{cfg.base}/d/{path}"}

    @_json_errors
    async def follow(request: Request) -> dict[str, Any]:
        """POST {actor, target}: resolve target, send Follow to its inbox."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        doc = await peer.net.resolve(str(data["target"]))
        act = activities.follow(cfg, actor, doc["id"])
        state.follows[act["id"]] = {"id": act["id"], "actor": actor.id, "target": doc["id"],
                                    "inbox": doc["inbox"], "activity": act, "state": "pending"}
        result = await peer.net.deliver(actor, doc["inbox"], act)
        state.follows[act["id"]]["status"] = result["status"]
        return {"follow_id": act["id"], "status": result["status"], "body": result["body"],
                "target": doc["id"], "inbox": doc["inbox"], "activity": act}

    @_json_errors
    async def unfollow(request: Request) -> dict[str, Any]:
        """POST {actor, follow_id, target}: send Undo{Follow}."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        record = state.follows.get(str(data.get("follow_id")))
        if record is None:
            doc = await peer.net.resolve(str(data["target"]))
            record = {"id": data["follow_id"], "actor": actor.id, "target": doc["id"], "inbox": doc["inbox"],
                      "activity": {"id": data["follow_id"], "type": "Follow", "actor": actor.id, "object": doc["id"]}}
        act = activities.undo(actor, record["activity"])
        result = await peer.net.deliver(actor, record["inbox"], act)
        record["state"] = "undone"
        return {"undo_id": act["id"], "status": result["status"], "body": result["body"], "activity": act}

    async def mention(ref: str) -> dict[str, str]:
        """Resolve a mention (handle or URL) to id, name, profile url, username, inbox."""
        doc = await peer.net.resolve(ref)
        username = doc.get("preferredUsername") or urlsplit(doc["id"]).path.rsplit("/", 1)[-1]
        name = "@" + ref.lstrip("@") if not ref.startswith("http") else f"@{username}@{urlsplit(doc['id']).netloc}"
        url = doc.get("url") if isinstance(doc.get("url"), str) else doc["id"]
        return {"id": doc["id"], "name": name, "url": url, "username": username, "inbox": peer.net.inbox_of(doc)}

    async def audience_inboxes(actor: LocalActor, record: dict[str, Any], extra: list[str]) -> list[str]:
        """Inboxes of mentioned and explicitly addressed actors, plus followers unless direct."""
        inboxes = [m["inbox"] for m in record["mentions"]]
        skip = {PUBLIC, "as:Public", "Public", f"{actor.id}/followers", *(m["id"] for m in record["mentions"])}
        for ref in extra:
            if ref in skip:
                continue
            try:
                inboxes.append(peer.net.inbox_of(await peer.net.resolve(ref)))
            except (RemoteError, KeyError):
                continue  # a collection or something unresolvable: not an actor to deliver to
        if record["visibility"] != "direct":
            inboxes += [f.get("shared_inbox") or f["inbox"] for f in actor.followers.values() if f.get("inbox")]
        return _dedupe(inboxes)

    @_json_errors
    async def post(request: Request) -> dict[str, Any]:
        """POST {actor, content, mentions, to, cc, in_reply_to, visibility, inbox, html, attachments, language}: Create{Note}.

        ``#word`` in the content becomes a Hashtag tag, as Mastodon does; ``attachments`` are passed through.
        """
        data = await _body(request)
        actor = need_actor(data["actor"])
        visibility = data.get("visibility", "public")
        mentions = [await mention(str(ref)) for ref in data.get("mentions", [])]
        to, cc = activities.addressing(actor, visibility, [m["id"] for m in mentions])
        extra_to, extra_cc = list(data.get("to", [])), list(data.get("cc", []))
        to, cc = _dedupe(to + extra_to), _dedupe(cc + extra_cc)
        sid = state.next_status_id()
        content = activities.content_html(str(data.get("content", "")), mentions, raw_html=bool(data.get("html")))
        note = activities.note(cfg, actor, sid, content=content, to=to, cc=cc, mentions=mentions,
                               in_reply_to=data.get("in_reply_to"))
        note["attachment"] = [dict(a) for a in data.get("attachments", []) if isinstance(a, dict)]
        if data.get("language"):  # Mastodon tags each status with its language (contentMap's key)
            note["contentMap"] = {str(data["language"]): content}
        note["tag"] += [{"type": "Hashtag", "href": f"{cfg.base}/tags/{t.lower()}", "name": f"#{t}"}
                        for t in dict.fromkeys(re.findall(r"(?<![\w#&/])#(\w+)", str(data.get("content", ""))))]
        if cfg.integrity_proofs:
            note = signing.prove(note, f"{actor.id}#ed25519-key", actor.proof_key, note["published"])
        create = activities.create(actor, note)
        record = {"actor": actor.name, "note": note, "create": create, "mentions": mentions,
                  "visibility": visibility, "deleted": False}
        explicit = data.get("inbox")
        if explicit:
            record["inboxes"] = [explicit] if isinstance(explicit, str) else list(explicit)
        else:
            record["inboxes"] = await audience_inboxes(actor, record, extra_to + extra_cc)
        state.notes[note["id"]] = record
        create = ld_signed(actor, record, create, data)
        statuses = await deliver_all(actor, record["inboxes"], create)
        return {"note_id": note["id"], "create_id": create["id"], "url": note["url"], "statuses": statuses,
                "note": note, "activity": create}

    def need_note(data: dict[str, Any]) -> tuple[LocalActor, dict[str, Any]]:
        """The actor and stored note named by {actor, note_id}."""
        actor = need_actor(data["actor"])
        record = state.notes.get(str(data["note_id"]))
        if record is None or record["actor"] != actor.name:
            raise ControlError(404, f"no note {data['note_id']!r} by {actor.name}")
        return actor, record

    @_json_errors
    async def vote(request: Request) -> dict[str, Any]:
        """POST {actor, question, choice?}: a poll vote as Mastodon sends it, Create{Note{name}} to the poll's author only."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        question = await peer.net.get_json(str(data["question"]), actor=actor)
        author = question["attributedTo"]
        inbox = (await peer.net.resolve(author))["inbox"]
        choice = str(data.get("choice") or question["oneOf"][0]["name"])
        vote_id = f"{actor.id}#votes/{state.next_status_id()}"
        note = {"id": vote_id, "type": "Note", "name": choice, "attributedTo": actor.id, "to": [author],
                "inReplyTo": question["id"]}
        create = {"@context": activities.AS, "id": f"{vote_id}/activity", "type": "Create", "actor": actor.id,
                  "to": [author], "object": note}
        result = await peer.net.deliver(actor, inbox, create)
        return {"vote_id": vote_id, "status": result["status"], "body": result["body"], "activity": create}

    @_json_errors
    async def edit(request: Request) -> dict[str, Any]:
        """POST {actor, note_id, content, ld_sign?}: Update{Note} with `updated` (LD-signed as Mastodon does)."""
        data = await _body(request)
        actor, record = need_note(data)
        now = time.time()
        content = activities.content_html(str(data["content"]), record["mentions"], raw_html=bool(data.get("html")))
        record["note"].update(content=content, contentMap={"en": content}, updated=activities.iso(now))
        act = ld_signed(actor, record, activities.update(actor, record["note"], now), data)
        statuses = await deliver_all(actor, record["inboxes"], act)
        return {"update_id": act["id"], "statuses": statuses, "note": record["note"], "activity": act}

    @_json_errors
    async def delete(request: Request) -> dict[str, Any]:
        """POST {actor, note_id, ld_sign?}: Delete{Tombstone} (LD-signed as Mastodon does)."""
        data = await _body(request)
        actor, record = need_note(data)
        record["deleted"] = True
        act = ld_signed(actor, record, activities.delete(actor, record["note"]), data)
        statuses = await deliver_all(actor, record["inboxes"], act)
        return {"delete_id": act["id"], "statuses": statuses, "activity": act}

    @_json_errors
    async def send(request: Request) -> dict[str, Any]:
        """POST {actor, inbox, activity | body, sign, scheme, tamper, date, created, key_id, headers}."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        if "body" in data:
            raw = str(data["body"]).encode()
        else:
            raw = json.dumps(data["activity"]).encode()
        options = {
            "sign": bool(data.get("sign", True)), "scheme": data.get("scheme", "cavage"), "tamper": data.get("tamper"),
            "date": data.get("date"), "created": data.get("created"), "key_id": data.get("key_id"),
            "extra_headers": data.get("headers"),
        }
        try:
            resp = await peer.net.post(actor, str(data["inbox"]), raw, **options)
        except httpx.HTTPError as exc:
            raise RemoteError(f"POST {data['inbox']}: {exc!r}") from exc
        state.record(state.sent, {"method": "POST", "url": data["inbox"], "type": data.get("activity", {}).get("type")
                                  if isinstance(data.get("activity"), dict) else None,
                                  "actor": actor.id, "status": resp.status_code, "body": resp.text[:4000],
                                  "options": {k: v for k, v in options.items() if v}})
        return {"status": resp.status_code, "body": resp.text, "headers": dict(resp.headers)}

    @_json_errors
    async def alias(request: Request) -> dict[str, Any]:
        """POST {actor, also_known_as: [...]}: set the account's alsoKnownAs (Mastodon's account aliases)."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        actor.also_known_as = [str(uri) for uri in data.get("also_known_as") or []]
        return actor_info(actor)

    @_json_errors
    async def move(request: Request) -> dict[str, Any]:
        """POST {actor, target, inboxes?}: the account moves to ``target`` (movedTo set, Move sent to its
        followers' inboxes and any ``inboxes`` given), as Mastodon's MoveService does."""
        data = await _body(request)
        actor = need_actor(data["actor"])
        actor.moved_to = str(data["target"])
        act = activities.move(actor, actor.moved_to)
        inboxes = _dedupe([info.get("shared_inbox") or info.get("inbox") for info in actor.followers.values()
                           if info.get("inbox")] + [str(i) for i in data.get("inboxes") or []])
        results = await deliver_all(actor, inboxes, act)
        return {"activity": act, "results": results}

    @_json_errors
    async def moves(request: Request) -> list[dict[str, Any]]:
        """GET /_control/moves: Moves received and their outcome (moved, refused, unreachable)."""
        return state.moves

    @_json_errors
    async def fetch(request: Request) -> dict[str, Any]:
        """POST {url, actor?, sign=true, scheme=cavage}: GET through the peer's signer."""
        data = await _body(request)
        actor = need_actor(data["actor"]) if data.get("actor") else None
        try:
            resp = await peer.net.get(str(data["url"]), actor=actor, sign=bool(data.get("sign", True)),
                                      scheme=data.get("scheme", "cavage"))
        except httpx.HTTPError as exc:
            raise RemoteError(f"GET {data['url']}: {exc!r}") from exc
        try:
            parsed = resp.json()
        except ValueError:
            parsed = None
        return {"status": resp.status_code, "headers": dict(resp.headers), "body": resp.text, "json": parsed}

    def filtered(entries: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
        """Filter records by ?type=&path=&valid=&signer= query parameters."""
        q = request.query_params
        out = entries
        if "type" in q:
            out = [e for e in out if e.get("type") == q["type"]]
        if "path" in q:
            out = [e for e in out if e.get("path") == q["path"]]
        if "valid" in q:
            want = q["valid"].lower() in ("1", "true", "yes")
            out = [e for e in out if e.get("valid") is want]
        if "signer" in q:
            out = [e for e in out if e.get("signer") == q["signer"]]
        return out

    @_json_errors
    async def received(request: Request) -> list[dict[str, Any]]:
        """GET: recorded inbox deliveries."""
        return filtered(state.received, request)

    @_json_errors
    async def fetches(request: Request) -> list[dict[str, Any]]:
        """GET: recorded GETs of actors, notes and collections."""
        return filtered(state.fetches, request)

    @_json_errors
    async def sent(request: Request) -> list[dict[str, Any]]:
        """GET: requests the peer made."""
        return filtered(state.sent, request)

    @_json_errors
    async def follows(request: Request) -> list[dict[str, Any]]:
        """GET: outgoing follows and their state (pending/accepted/rejected/undone, deleted when the target deleted itself)."""
        return list(state.follows.values())

    @_json_errors
    async def notes(request: Request) -> list[dict[str, Any]]:
        """GET: notes posted through the control API."""
        return [{"note_id": k, **v} for k, v in state.notes.items()]

    @_json_errors
    async def timeline(request: Request) -> list[dict[str, Any]]:
        """GET: remote statuses the peer's users see, as Create/Update/Delete left them (timeline.py)."""
        return list(state.timeline.values())

    @_json_errors
    async def interactions(request: Request) -> list[str]:
        """GET: uris received by /authorize_interaction."""
        return list(state.interactions)

    @_json_errors
    async def reset(request: Request) -> dict[str, Any]:
        """POST {all?}: clear records (and with all=true actors, notes and follows)."""
        everything = bool((await _body(request)).get("all"))
        state.reset(everything)
        return {"ok": True, "all": everything}

    return [
        Route("/_control/health", health),
        Route("/_control/actors", actors, methods=["GET", "POST"]),
        Route("/_control/documents", documents, methods=["POST"]),
        Route("/_control/follow", follow, methods=["POST"]),
        Route("/_control/unfollow", unfollow, methods=["POST"]),
        Route("/_control/post", post, methods=["POST"]),
        Route("/_control/edit", edit, methods=["POST"]),
        Route("/_control/vote", vote, methods=["POST"]),
        Route("/_control/delete", delete, methods=["POST"]),
        Route("/_control/send", send, methods=["POST"]),
        Route("/_control/fetch", fetch, methods=["POST"]),
        Route("/_control/alias", alias, methods=["POST"]),
        Route("/_control/move", move, methods=["POST"]),
        Route("/_control/moves", moves),
        Route("/_control/received", received),
        Route("/_control/fetches", fetches),
        Route("/_control/sent", sent),
        Route("/_control/follows", follows),
        Route("/_control/notes", notes),
        Route("/_control/timeline", timeline),
        Route("/_control/interactions", interactions),
        Route("/_control/reset", reset, methods=["POST"]),
    ]
