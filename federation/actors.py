"""ActivityStreams documents for local actors: groups (FEP-1b12) and the instance actor (FEP-2677)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from federation import proofs
from federation.sanitize import render_local_text
from federation.urls import Urls
from hub import __version__
from hub.models import Group
from hub.places import locate

CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/multikey/v1",
    {
        "lemmy": "https://join-lemmy.org/ns#",
        "toot": "http://joinmastodon.org/ns#",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    },
]
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def group_actor(group: Group, urls: Urls, *, member_count: int | None = None) -> dict[str, Any]:
    """The Group actor document of a local group."""
    slug = group.slug
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": urls.group(slug),
        "type": "Group",
        "preferredUsername": slug,
        "name": group.name,
        "summary": render_local_text(group.summary) if group.summary else "",
        "url": urls.group(slug),
        "inbox": urls.group_inbox(slug),
        "outbox": urls.group_outbox(slug),
        "followers": urls.group_followers(slug),
        "featured": urls.group_featured(slug),
        "attributedTo": urls.group_moderators(slug),
        "moderators": urls.group_moderators(slug),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "publicKey": {"id": urls.group_key(slug), "owner": urls.group(slug), "publicKeyPem": group.public_key_pem},
        "manuallyApprovesFollowers": group.join_policy != "open",
        "discoverable": group.visibility == "public",
        "indexable": group.visibility == "public",
        "postingRestrictedToMods": group.posting_mode == "moderators",
        "published": group.created_at.isoformat().replace("+00:00", "Z"),
        "updated": group.updated_at.isoformat().replace("+00:00", "Z"),
    }
    if group.also_known_as:
        doc["alsoKnownAs"] = list(group.also_known_as)  # the actors it was before an import (Mastodon checks it on Move)
    if group.moved_to:
        doc["movedTo"] = group.moved_to
    if group.proof_key_pem:  # FEP-521a: the Ed25519 key of the group's FEP-8b32 proofs
        doc["assertionMethod"] = proofs.assertion_method(urls.group(slug), group.proof_key_pem)
    if group.icon_path:
        doc["icon"] = {"type": "Image", "url": f"{urls.base}/media/{group.icon_path}"}
    if group.header_path:
        doc["image"] = {"type": "Image", "url": f"{urls.base}/media/{group.header_path}"}
    place = locate(group.city, group.country) if group.country else None
    if place is not None:
        # AS2 Place: partners draw the group on their collaboration maps from it.
        doc["location"] = {"type": "Place", "name": place.name, "latitude": place.latitude, "longitude": place.longitude}
    return doc


def instance_actor(urls: Urls, public_key_pem: str) -> dict[str, Any]:
    """The instance actor: an Application that signs the hub's own fetches (FEP-2677)."""
    return {
        "@context": CONTEXT,
        "id": urls.instance_actor,
        "type": "Application",
        "preferredUsername": urlsplit(urls.base).hostname or urls.host,
        "name": f"Causeway {__version__}",
        "summary": "The server actor of this Causeway hub; it signs the hub's own requests.",
        "url": f"{urls.base}/about",
        "inbox": urls.instance_inbox,
        "outbox": f"{urls.instance_actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": urls.instance_key, "owner": urls.instance_actor, "publicKeyPem": public_key_pem},
    }


def ordered_collection(collection_id: str, total: int, *, first: str | None = None) -> dict[str, Any]:
    """An OrderedCollection head with its size and, when it has items, a link to its first page."""
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first:
        doc["first"] = first
    return doc


def collection_page(collection_id: str, page_id: str, items: list[Any], *, next_page: str | None) -> dict[str, Any]:
    """One OrderedCollectionPage of a collection."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    return doc
