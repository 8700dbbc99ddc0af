"""Builders of Mastodon-shaped JSON documents: actors, WebFinger, NodeInfo, activities."""

from __future__ import annotations

import html
import time
import uuid
from typing import Any

from tests.peers.mastodon_like import signing
from tests.peers.mastodon_like.state import PUBLIC, Config, LocalActor

AS = "https://www.w3.org/ns/activitystreams"
ACTOR_CONTEXT: list[Any] = [
    AS,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    },
]
NOTE_CONTEXT: list[Any] = [
    AS,
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
    },
]
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
NODEINFO_REL = "http://nodeinfo.diaspora.software/ns/schema/2.0"


def iso(ts: float | None = None) -> str:
    """Mastodon's timestamp format: seconds precision, Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts if ts is not None else time.time()))


def actor_document(cfg: Config, actor: LocalActor) -> dict[str, Any]:
    """JSON-LD Person (or the Application instance actor)."""
    is_instance = actor.type == "Application"
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor.id,
        "type": actor.type,
        "inbox": f"{actor.id}/inbox",
        "outbox": f"{actor.id}/outbox",
        "preferredUsername": actor.name,
        "name": "" if is_instance else actor.name.capitalize(),
        "url": f"{cfg.base}/about/more?instance_actor=true" if is_instance else f"{cfg.base}/@{actor.name}",
        "manuallyApprovesFollowers": not cfg.auto_accept,
        "publicKey": {"id": actor.key_id, "owner": actor.id, "publicKeyPem": actor.public_key_pem},
        "endpoints": {"sharedInbox": f"{cfg.base}/inbox"},
    }
    if actor.also_known_as:
        doc["alsoKnownAs"] = list(actor.also_known_as)
    if actor.moved_to:
        doc["movedTo"] = actor.moved_to
    if cfg.integrity_proofs:  # FEP-521a
        doc["assertionMethod"] = [{"id": f"{actor.id}#ed25519-key", "type": "Multikey", "controller": actor.id,
                                   "publicKeyMultibase": signing.ed25519_multikey(actor.proof_key)}]
    if not is_instance:
        doc.update(
            following=f"{actor.id}/following",
            followers=f"{actor.id}/followers",
            featured=f"{actor.id}/collections/featured",
            summary="",
            discoverable=True,
            indexable=False,
            published=iso(actor.created),
            tag=[],
            attachment=[],
        )
        doc.update(actor.extra)
    return doc


def webfinger(cfg: Config, actor: LocalActor) -> dict[str, Any]:
    """JRD with self, profile-page and the OStatus subscribe template."""
    return {
        "subject": f"acct:{actor.name}@{cfg.domain}",
        "aliases": [f"{cfg.base}/@{actor.name}", actor.id],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{cfg.base}/@{actor.name}"},
            {"rel": "self", "type": "application/activity+json", "href": actor.id},
            {"rel": SUBSCRIBE_REL, "template": f"{cfg.base}/authorize_interaction?uri={{uri}}"},
        ],
    }


def nodeinfo_index(cfg: Config) -> dict[str, Any]:
    """/.well-known/nodeinfo."""
    return {"links": [{"rel": NODEINFO_REL, "href": f"{cfg.base}/nodeinfo/2.0"}]}


def nodeinfo(cfg: Config, users: int, posts: int) -> dict[str, Any]:
    """/nodeinfo/2.0 announcing the configured software."""
    return {
        "version": "2.0",
        "software": {"name": cfg.software, "version": cfg.software_version},
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {"users": {"total": users, "activeMonth": users, "activeHalfyear": users}, "localPosts": posts},
        "openRegistrations": False,
        "metadata": {"nodeName": cfg.domain},
    }


def collection(collection_id: str, total: int) -> dict[str, Any]:
    """An empty-paged OrderedCollection with a count, as Mastodon serves followers/outbox."""
    return {"@context": AS, "id": collection_id, "type": "OrderedCollection", "totalItems": total}


def follow(cfg: Config, actor: LocalActor, target: str) -> dict[str, Any]:
    """Follow with id <base>/activities/<uuid>."""
    return {"@context": AS, "id": f"{cfg.base}/activities/{uuid.uuid4()}", "type": "Follow", "actor": actor.id, "object": target}


def move(actor: LocalActor, target: str) -> dict[str, Any]:
    """Move of an account to ``target``, as Mastodon's MoveSerializer writes it (id <actor>#moves/<n>)."""
    return {"@context": AS, "id": f"{actor.id}#moves/{uuid.uuid4().hex}", "type": "Move", "actor": actor.id,
            "object": actor.id, "target": target}


def undo(actor: LocalActor, activity: dict[str, Any]) -> dict[str, Any]:
    """Undo wrapping an earlier activity (context stripped from the inner object)."""
    inner = {k: v for k, v in activity.items() if k != "@context"}
    return {"@context": AS, "id": f"{actor.id}#follows/{uuid.uuid4().hex}/undo", "type": "Undo", "actor": actor.id, "object": inner}


def accept(actor: LocalActor, follow_activity: dict[str, Any], n: str) -> dict[str, Any]:
    """Accept of a received Follow, embedding it as Mastodon does."""
    inner = {k: follow_activity.get(k) for k in ("id", "type", "actor", "object")}
    return {"@context": AS, "id": f"{actor.id}#accepts/follows/{n}", "type": "Accept", "actor": actor.id, "object": inner}


def mention_html(profile_url: str, username: str) -> str:
    """Mastodon's h-card mention markup."""
    return (
        f'<span class="h-card" translate="no"><a href="{html.escape(profile_url)}" class="u-url mention">'
        f"@<span>{html.escape(username)}</span></a></span>"
    )


def content_html(text: str, mentions: list[dict[str, str]], raw_html: bool = False) -> str:
    """<p>mentions text</p>, text escaped unless `raw_html`."""
    prefix = " ".join(mention_html(m["url"], m["username"]) for m in mentions)
    body = text if raw_html else "<br />".join(html.escape(line, quote=False) for line in text.split("\n"))
    if raw_html and not prefix:
        return body
    return f"<p>{prefix}{' ' if prefix and body else ''}{body}</p>"


def addressing(actor: LocalActor, visibility: str, mention_ids: list[str]) -> tuple[list[str], list[str]]:
    """to/cc exactly as Mastodon's TagManager computes them."""
    followers = f"{actor.id}/followers"
    if visibility == "public":
        return [PUBLIC], [followers, *mention_ids]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *mention_ids]
    if visibility == "followers":
        return [followers], list(mention_ids)
    if visibility == "direct":
        return list(mention_ids), []
    raise ValueError(f"unknown visibility {visibility!r}")


def note(
    cfg: Config,
    actor: LocalActor,
    status_id: str,
    *,
    content: str,
    to: list[str],
    cc: list[str],
    mentions: list[dict[str, str]],
    in_reply_to: str | None,
) -> dict[str, Any]:
    """A Mastodon-shaped Note."""
    note_id = f"{actor.id}/statuses/{status_id}"
    return {
        "id": note_id,
        "type": "Note",
        "summary": None,
        "inReplyTo": in_reply_to,
        "published": iso(),
        "url": f"{cfg.base}/@{actor.name}/{status_id}",
        "attributedTo": actor.id,
        "to": to,
        "cc": cc,
        "sensitive": False,
        "atomUri": note_id,
        "inReplyToAtomUri": in_reply_to,
        "conversation": f"tag:{cfg.domain},{time.strftime('%Y-%m-%d')}:objectId={status_id}:objectType=Conversation",
        "content": content,
        "contentMap": {"en": content},
        "attachment": [],
        "tag": [{"type": "Mention", "href": m["id"], "name": m["name"]} for m in mentions],
        "replies": {
            "id": f"{note_id}/replies",
            "type": "Collection",
            "first": {"type": "CollectionPage", "next": f"{note_id}/replies?only_other_accounts=true&page=true",
                      "partOf": f"{note_id}/replies", "items": []},
        },
    }


def create(actor: LocalActor, note_obj: dict[str, Any]) -> dict[str, Any]:
    """Create{Note}, id <note>/activity."""
    return {
        "@context": NOTE_CONTEXT,
        "id": f"{note_obj['id']}/activity",
        "type": "Create",
        "actor": actor.id,
        "published": note_obj["published"],
        "to": note_obj["to"],
        "cc": note_obj["cc"],
        "object": note_obj,
    }


def update(actor: LocalActor, note_obj: dict[str, Any], ts: float) -> dict[str, Any]:
    """Update{Note}, id <note>#updates/<epoch>."""
    return {
        "@context": NOTE_CONTEXT,
        "id": f"{note_obj['id']}#updates/{int(ts)}",
        "type": "Update",
        "actor": actor.id,
        "published": note_obj["updated"],
        "to": note_obj["to"],
        "cc": note_obj["cc"],
        "object": note_obj,
    }


def delete(actor: LocalActor, note_obj: dict[str, Any]) -> dict[str, Any]:
    """Delete{Tombstone}, id <note>#delete."""
    return {
        "@context": NOTE_CONTEXT,
        "id": f"{note_obj['id']}#delete",
        "type": "Delete",
        "actor": actor.id,
        "to": [PUBLIC],
        "object": {"id": note_obj["id"], "type": "Tombstone", "atomUri": note_obj["id"]},
    }
