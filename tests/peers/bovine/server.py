"""Run bovine-herd as an ActivityPub test peer, with a control API for tests.

Run it with the interpreter of the bovine venv (see setup_venv.sh), never Causeway's:

    .venv-bovine/bin/python tests/peers/bovine/server.py --data-dir /tmp/peer [--port 0]

It serves bovine-herd (a Quart app) under hypercorn on plain http at 127.0.0.1:PORT with
SQLite in DATA_DIR, so actor ids look like http://127.0.0.1:PORT/endpoints/<random>. With
--port 0 it binds a free port itself and writes the number to --port-file (default
DATA_DIR/port) before it starts serving.

Before bovine is imported, the working directory is set to DATA_DIR and the JSON-LD cache
that bovine keeps there (bovine_jsonld_cache.sqlite) is filled from contexts/ beside this
file. Any other context URL is refused without touching the network and listed at
GET /_control/missing_contexts.

Control API (test-only, plain JSON, no authentication, loopback only), under /_control:

    GET  /health                       -> {"ok": true, "base_url", "versions"}
    POST /actors {"name"}              -> register an actor; {"name", "actor_id", "inbox", ...}
    GET  /actors/<name>                -> the actor document as its owner sees it (with key)
    POST /actors/<name>/follow {"object"}          -> Follow sent through bovine's outbox
    POST /actors/<name>/note {"content", "to", "cc", ...}  -> Create(Note) through the outbox
    POST /actors/<name>/outbox {activity}          -> any activity through the outbox
    GET  /actors/<name>/inbox          -> {"items": [...]} what bovine put in the inbox
    GET  /actors/<name>/outbox         -> {"items": [...]}
    GET  /actors/<name>/following      -> {"items": [ids]}
    GET  /actors/<name>/followers      -> {"items": [ids]}
    POST /actors/<name>/fetch {"url"}  -> signed GET as the actor; {"status", "body", ...}
    POST /actors/<name>/post {"url", "body"}  -> signed POST as the actor, bypassing the outbox
    GET  /deliveries                   -> every outbox delivery attempt and its HTTP status
    GET  /missing_contexts             -> context URLs bovine wanted but the cache lacked

Outbox submissions (follow, note, outbox) wait for bovine's delivery to finish unless the
body has "wait": false, and answer with {"id", "activity", "deliveries"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTEXTS_DIR = HERE / "contexts"
JSONLD_CACHE_FILE = "bovine_jsonld_cache.sqlite"  # name hard-coded in bovine.jsonld.cache

logger = logging.getLogger("bovine_peer")

MISSING_CONTEXTS: list[str] = []
DELIVERIES: list[dict] = []


def prefill_jsonld_cache(directory: Path) -> list[str]:
    """Writes the shipped context documents into bovine's JSON-LD cache in directory.

    Same table as bovine.jsonld.cache.JsonLDCache; the stored value is the document's
    "@context" member, which is what bovine stores after a download."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text())
    connection = sqlite3.connect(directory / JSONLD_CACHE_FILE)
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)"
        )
        for url, filename in index.items():
            document = json.loads((CONTEXTS_DIR / filename).read_text())
            connection.execute(
                "INSERT OR REPLACE INTO jsonld (url, context) VALUES (?, ?)",
                (url, json.dumps(document["@context"])),
            )
        connection.commit()
    finally:
        connection.close()
    return sorted(index)


def block_context_downloads() -> None:
    """Makes bovine's context download fail at once and remembers the URL.

    bovine.jsonld.wrapper calls requests_document_loader(timeout=60)(url, options) for a
    context it has neither built in nor cached; on failure it falls back to an empty
    context (and caches that)."""
    import bovine.jsonld

    def offline_loader(*args, **kwargs):
        def load(url, options=None):
            if url not in MISSING_CONTEXTS:
                MISSING_CONTEXTS.append(url)
            logger.warning("JSON-LD context %s is not in the shipped cache", url)
            raise RuntimeError(f"offline test peer: no context document for {url}")

        return load

    bovine.jsonld.requests_document_loader = offline_loader


def record_deliveries() -> None:
    """Wraps bovine_process.send_item so that every delivery's outcome is kept."""
    import aiohttp
    import bovine_process.send_item as send_item

    original_get_inbox = send_item.get_inbox_for_recipient

    async def get_inbox_for_recipient(actor, recipient):
        inbox = await original_get_inbox(actor, recipient)
        if not inbox:
            DELIVERIES.append(
                {
                    "actor": actor.actor_id,
                    "recipient": recipient,
                    "inbox": None,
                    "status": None,
                    "error": "could not resolve the recipient's inbox",
                }
            )
        return inbox

    async def send_to_inbox(actor, inbox, data):
        entry = {
            "actor": actor.actor_id,
            "activity_id": data.get("id"),
            "type": data.get("type"),
            "inbox": inbox,
        }
        try:
            response = await actor.post(inbox, data)
            entry["status"] = response.status
            entry["body"] = (await response.text())[:1000]
        except aiohttp.ClientResponseError as error:
            entry["status"] = error.status
            entry["error"] = repr(error)
        except Exception as error:  # noqa: BLE001 - reported to the test, not raised
            entry["status"] = None
            entry["error"] = repr(error)
        logger.info("delivery %s", json.dumps(entry))
        DELIVERIES.append(entry)

    send_item.get_inbox_for_recipient = get_inbox_for_recipient
    send_item.send_to_inbox = send_to_inbox


def build_app(base_url: str):
    from importlib.metadata import version

    from quart import Blueprint, Quart, current_app, request

    from bovine.types import Visibility
    from bovine_herd import BovineHerd
    from bovine_process import handle_outbox_item, process_outbox_item
    from bovine_process.types import ProcessingItem
    from bovine_store import BovineAdminStore
    from bovine_store.models import BovineActor as StoredActor
    from bovine_store.models import CollectionItem, StoredJsonObject

    app = Quart(__name__)
    BovineHerd(app, db_url="sqlite://bovine.sqlite3")

    control = Blueprint("causeway_control", __name__, url_prefix="/_control")

    def error(status: int, message: str):
        return {"error": message}, status

    async def actor_for(name: str):
        stored = await StoredActor.filter(handle_name=name).order_by("id").first()
        if stored is None:
            return None
        return await current_app.config["bovine_store"].actor_for_name(stored.bovine_name)

    async def body() -> dict:
        data = await request.get_json(force=True, silent=True)
        return data if isinstance(data, dict) else {}

    async def stored_content(object_id: str) -> dict | None:
        stored = await StoredJsonObject.get_or_none(id=object_id)
        return stored.content if stored else None

    async def collection(collection_id: str, resolve: bool) -> list:
        rows = await CollectionItem.filter(part_of=collection_id).order_by("id").all()
        if not resolve:
            return [row.object_id for row in rows]
        items = []
        for row in rows:
            content = await stored_content(row.object_id)
            if content is None:
                items.append({"id": row.object_id, "_missing": True})
                continue
            content = dict(content)
            embedded = content.get("object")
            if isinstance(embedded, str):
                resolved = await stored_content(embedded)
                if resolved is not None:
                    content["object"] = resolved
            items.append(content)
        return items

    async def submit(actor, activity: dict, wait: bool) -> dict:
        item = ProcessingItem(actor.actor_id, activity)
        item = await handle_outbox_item(item, actor)
        if item is None:
            raise RuntimeError("bovine's outbox processing dropped the activity")
        activity_id = item.meta.get("object_location") or item.data.get("id")
        stored = dict(item.data)
        before = len(DELIVERIES)
        if wait:
            await process_outbox_item(item, actor)
        else:
            current_app.add_background_task(process_outbox_item, item, actor)
        return {
            "id": activity_id,
            "activity": stored,
            "deliveries": DELIVERIES[before:] if wait else [],
        }

    @control.get("/health")
    async def health():
        return {
            "ok": True,
            "base_url": base_url,
            "versions": {
                name: version(name)
                for name in ("bovine", "bovine-herd", "bovine-store", "bovine-process",
                             "bovine-tool", "quart", "hypercorn", "tortoise-orm", "pyld")
            },
        }

    @control.post("/actors")
    async def register():
        data = await body()
        name = data.get("name")
        if not isinstance(name, str) or not name:
            return error(400, "name required")
        if await StoredActor.filter(handle_name=name).exists():
            return error(409, f"actor {name} exists")
        bovine_name = await BovineAdminStore(domain=base_url).register(name)
        actor = await current_app.config["bovine_store"].actor_for_name(bovine_name)
        document = actor.actor_object.build(visibility=Visibility.OWNER)
        return {
            "name": name,
            "bovine_name": bovine_name,
            "actor_id": actor.actor_id,
            "key_id": actor.public_key_url,
            "inbox": document.get("inbox"),
            "outbox": document.get("outbox"),
            "followers": document.get("followers"),
            "following": document.get("following"),
            "actor": document,
        }, 201

    @control.get("/actors/<name>")
    async def actor_document(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        return actor.actor_object.build(visibility=Visibility.OWNER)

    @control.post("/actors/<name>/outbox")
    async def post_outbox(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        data = await body()
        wait = data.pop("wait", True)
        data.setdefault("@context", "https://www.w3.org/ns/activitystreams")
        data.setdefault("actor", actor.actor_id)
        return await submit(actor, data, wait), 201

    @control.post("/actors/<name>/follow")
    async def follow(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        data = await body()
        target = data.get("object")
        if not isinstance(target, str):
            return error(400, "object (the actor to follow) required")
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Follow",
            "actor": actor.actor_id,
            "object": target,
            "to": [target],
        }
        return await submit(actor, activity, data.get("wait", True)), 201

    @control.post("/actors/<name>/note")
    async def note(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        data = await body()
        wait = data.pop("wait", True)
        note_object = {
            "type": "Note",
            "attributedTo": actor.actor_id,
            "content": data.pop("content", ""),
            "to": data.pop("to", ["https://www.w3.org/ns/activitystreams#Public"]),
            "cc": data.pop("cc", [actor.actor_object.followers]),
            **data,  # audience, inReplyTo, tag, ...
        }
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create",
            "actor": actor.actor_id,
            "to": note_object["to"],
            "cc": note_object["cc"],
            "object": note_object,
        }
        if "audience" in note_object:
            activity["audience"] = note_object["audience"]
        result = await submit(actor, activity, wait)
        embedded = result["activity"].get("object")
        result["object_id"] = embedded.get("id") if isinstance(embedded, dict) else embedded
        return result, 201

    def collection_endpoint(kind: str, resolve: bool):
        async def handler(name):
            actor = await actor_for(name)
            if actor is None:
                return error(404, "no such actor")
            collection_id = getattr(actor.actor_object, kind)
            return {"id": collection_id, "items": await collection(collection_id, resolve)}

        handler.__name__ = f"collection_{kind}"
        return handler

    control.get("/actors/<name>/inbox")(collection_endpoint("inbox", True))
    control.get("/actors/<name>/outbox")(collection_endpoint("outbox", True))
    control.get("/actors/<name>/following")(collection_endpoint("following", False))
    control.get("/actors/<name>/followers")(collection_endpoint("followers", False))

    @control.post("/actors/<name>/fetch")
    async def fetch(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        url = (await body()).get("url")
        response = await actor.client.get(url)
        text = await response.text()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return {
            "status": response.status,
            "content_type": response.headers.get("content-type"),
            "json": parsed,
            "text": text[:2000],
        }

    @control.post("/actors/<name>/post")
    async def raw_post(name):
        actor = await actor_for(name)
        if actor is None:
            return error(404, "no such actor")
        data = await body()
        payload = data.get("body")
        if not isinstance(payload, str):
            payload = json.dumps(payload)
        response = await actor.client.post(data["url"], payload)
        return {"status": response.status, "text": (await response.text())[:2000]}

    @control.get("/deliveries")
    async def deliveries():
        return {"items": DELIVERIES}

    @control.get("/missing_contexts")
    async def missing_contexts():
        return {"items": MISSING_CONTEXTS}

    app.register_blueprint(control)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="default DATA_DIR/port")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()

    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(data_dir)  # bovine opens its JSON-LD cache in the working directory on import
    prefilled = prefill_jsonld_cache(data_dir)
    logger.info("JSON-LD cache prefilled with %s", ", ".join(prefilled))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    base_url = f"http://{args.host}:{port}"

    block_context_downloads()
    record_deliveries()
    app = build_app(base_url)

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = logging.getLogger("hypercorn.access")
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = 2

    port_file = args.port_file or data_dir / "port"
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(port))
    tmp.replace(port_file)
    logger.info("bovine test peer listening on %s (data in %s)", base_url, data_dir)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(run())


if __name__ == "__main__":
    main()
