"""FEP-8b32 on the wire: groups' proof keys, proofs on what groups publish, proven objects taken without a refetch.

Outbound: :func:`with_proofs` gives a group's activity (and an object of its own embedded in it), and
:func:`served_with_proof` a group's object served at its id, an
eddsa-jcs-2022 ``proof`` made with the group's Ed25519 key (``Group.proof_key_pem``, made on first use
by hub.services.groups.proof_key), published on the actor as a FEP-521a Multikey (federation.proofs.assertion_method).

Inbound: :func:`proven_object` takes an object embedded in an ``Announce`` as it is when it (or the
``Create``/``Update`` around it, by the same author) carries a proof that verifies with an
``assertionMethod`` key of its author, on the author's own server. A proof of the wrong kind, by a key
of another server, or that does not verify raises ProofError before anything is stored or fetched
for it (the author's actor is fetched only when it is not cached); without a proof the caller
fetches the object from its origin as before.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from federation import proofs
from federation.context import Federation
from federation.errors import ProofError
from federation.remote import fetch_actor, may_refetch
from federation.vocab import id_of, type_of
from hub.models import Group
from hub.services.groups import proof_key

log = logging.getLogger("causeway.proofs")

_WRAPPERS = ("Create", "Update")


def _slug(actor_uri: str) -> str | None:
    path = urlsplit(actor_uri).path
    slug = path.removeprefix("/groups/")
    return slug if path.startswith("/groups/") and slug and "/" not in slug else None


async def served_with_proof(group: Group, actor_uri: str, document: dict) -> dict:
    """A group's own object (``attributedTo`` it) as served at its id: with the group's proof."""
    if id_of(document.get("attributedTo")) != actor_uri:
        return document
    key = load_pem_private_key((await proof_key(group)).encode(), None)
    return proofs.sign(document, key_id=proofs.proof_key_id(actor_uri), key=key)


async def with_proofs(activity: dict, actor_uri: str) -> dict:
    """``activity`` with the proofs of the local group ``actor_uri`` (as is for any other sender).

    The group's own embedded object (``attributedTo`` the group) is signed first, then the activity.
    """
    slug = _slug(actor_uri)
    group = await Group.get_or_none(slug=slug) if slug else None
    if group is None or activity.get("actor") != actor_uri:
        return activity
    key = load_pem_private_key((await proof_key(group)).encode(), None)
    key_id = proofs.proof_key_id(actor_uri)
    inner = activity.get("object")
    try:
        if isinstance(inner, dict) and id_of(inner.get("attributedTo")) == actor_uri and "proof" not in inner:
            if "@context" in activity and "@context" not in inner:
                inner = {"@context": activity["@context"], **inner}
            activity = {**activity, "object": proofs.sign(inner, key_id=key_id, key=key)}
        return proofs.sign(activity, key_id=key_id, key=key)
    except ProofError as exc:  # a value JCS cannot express (an integer past 2**53): sent as before, unproven
        log.warning("not proving %s: %s", activity.get("id"), exc.reason)
        return activity


async def _public_key(fed: Federation, claim: proofs.ProofClaim) -> str:
    actor = await fetch_actor(fed, claim.signer)
    found = (actor.assertion_keys or {}).get(claim.key_id)
    if found is None and may_refetch(fed, claim.key_id):
        actor = await fetch_actor(fed, claim.signer, refresh=True)  # a key added since the actor was cached
        found = (actor.assertion_keys or {}).get(claim.key_id)
    if found is None:
        raise ProofError(f"{claim.key_id} is not an assertionMethod key of {claim.signer}")
    return found


async def proven_object(fed: Federation, embedded: object) -> dict | None:
    """The post embedded in an Announce when a proof by its author verifies; None when it carries no proof.

    ``embedded`` is the Announce's object: the post itself, or a ``Create``/``Update`` of it by its author.
    """
    if not isinstance(embedded, dict):
        return None
    nested = embedded.get("object") if type_of(embedded) in _WRAPPERS else None
    post = nested if isinstance(nested, dict) else embedded
    if "proof" in post:
        signed = post
    elif post is not embedded and "proof" in embedded:
        if id_of(post.get("attributedTo")) != id_of(embedded.get("actor")):
            raise ProofError("the proven activity carries a post by someone else")
        signed = embedded
    else:
        return None
    claim = proofs.check_form(signed)
    if fed.urls.is_local(claim.signer):
        raise ProofError("a proof in the name of this hub's own actor")
    proofs.verify(claim, await _public_key(fed, claim))
    log.info("proof verified id=%s key=%s: taken without a refetch", signed.get("id"), claim.key_id)
    return post
