"""FEP-8b32 on the wire, in-process: groups' proofs out, proven relayed posts in without a refetch, bad proofs refused."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation import proofs
from federation.errors import ProofError
from federation.integrity import proven_object, with_proofs
from federation.remote import fetch_actor
from hub.models import CampaignPost, Group, RemoteActor
from hub.services import campaigns, relays
from tests.federation.harness import PUBLIC, running_hub

AUTHOR_KEY = Ed25519PrivateKey.generate()
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"]


def _note(author: str, number: int, text: str = "Cooling centres open #HeatWave") -> dict:
    """A public Note by ``author`` carrying the campaign's hashtag."""
    return {"@context": CONTEXT, "id": f"{author}/statuses/{number}", "type": "Note", "attributedTo": author,
            "to": [PUBLIC], "cc": [], "content": f"<p>{text}</p>", "published": "2026-11-26T09:00:00Z"}


async def _relay_scene(hub):
    """A campaign for #heatwave, an accepted relay and an author whose actor publishes an Ed25519 Multikey."""
    group = await hub.group("climate")
    campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
    relay = hub.world.actor("https://relay.test/actor", actor_type="Application")
    await relays.follow(relay.id, inbox=relay.inbox, follow_uri=f"{hub.fed.urls.instance_actor}/follows/1")
    await relays.answered(f"{hub.fed.urls.instance_actor}/follows/1", relay.id, accepted=True)
    author_url = "https://origin.test/users/alice"
    key_id = f"{author_url}#ed25519-key"
    author = hub.world.actor(author_url, assertionMethod=[
        proofs.multikey(key_id, author_url, proofs.public_multikey(AUTHOR_KEY.public_key()))])
    return campaign, relay, author, key_id


async def test_a_proven_relayed_post_is_taken_without_a_refetch_and_bad_proofs_are_refused(database_url, tmp_path) -> None:
    """A relayed post with its author's valid proof is gathered unfetched; bad proofs are refused with no fetch; no proof: fetched."""
    async with running_hub(database_url, tmp_path) as hub:
        campaign, relay, author, key_id = await _relay_scene(hub)
        proven = proofs.sign(_note(author.id, 1), key_id=key_id, key=AUTHOR_KEY)
        tampered = copy.deepcopy(proofs.sign(_note(author.id, 2), key_id=key_id, key=AUTHOR_KEY))
        tampered["content"] = "<p>Buy now #HeatWave</p>"
        wrong_suite = proofs.sign(_note(author.id, 3), key_id=key_id, key=AUTHOR_KEY)
        wrong_suite["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
        elsewhere = proofs.sign(_note(author.id, 4), key_id="https://evil.test/users/alice#ed25519-key", key=AUTHOR_KEY)
        stranger_key = proofs.sign(_note(author.id, 5), key_id=key_id, key=Ed25519PrivateKey.generate())
        plain = _note(author.id, 6)
        hub.world.serve(plain)  # the only one its origin serves: without a proof it is fetched as before
        # the author and the relay are known (cached) before the relayed posts arrive, as after any earlier contact
        await fetch_actor(hub.fed, author.id)
        await fetch_actor(hub.fed, relay.id)
        assert (await RemoteActor.get(uri=author.id)).assertion_keys == {key_id: proofs.public_multikey(AUTHOR_KEY.public_key())}
        requests_before = len(hub.world.requests)
        for number, note in enumerate((proven, tampered, wrong_suite, elsewhere, stranger_key, plain), start=1):
            announce = {"@context": CONTEXT, "id": f"https://relay.test/activities/{number}", "type": "Announce",
                        "actor": relay.id, "object": note, "to": [f"{relay.id}/followers"]}
            assert (await hub.signed_post("/actor/inbox", announce, relay)).status_code == 202
        await hub.drain()
        gathered = {entry.uri for entry in await CampaignPost.filter(campaign=campaign)}
        assert gathered == {proven["id"], plain["id"]}
        for number, reason in ((2, "does not verify"), (3, "cryptosuite"), (4, "not on the server"), (5, "does not verify")):
            item = await hub.inbox_item(f"https://relay.test/activities/{number}")
            assert item.state == "ignored" and reason in item.last_error, (number, item.last_error)
        # no post was fetched but the one without a proof; nothing else went out because of the bad proofs
        fetched = [str(r.url) for r in hub.world.requests[requests_before:] if r.method == "GET"]
        assert fetched == [plain["id"]], fetched


async def test_a_groups_activities_carry_proofs_its_actor_publishes_the_key_of(database_url, tmp_path) -> None:
    """The group's Accept and its objects carry proofs by the Multikey its actor publishes beside the RSA key; a changed copy fails."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("climate")
        alice = hub.world.person("alice")
        await hub.member(alice)
        await hub.drain()
        actor = (await hub.get("/groups/climate", Accept="application/activity+json")).json()
        [method] = actor["assertionMethod"]
        assert method["type"] == "Multikey" and method["id"] == f"{actor['id']}#ed25519-key" and method["controller"] == actor["id"]
        assert actor["publicKey"]["id"] == f"{actor['id']}#main-key"  # the RSA key stays, for HTTP signatures
        assert (await Group.get(id=group.id)).proof_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
        [accept] = [body for url, body in hub.world.deliveries if body.get("type") == "Accept"]
        claim = proofs.check_form(accept)
        assert claim.key_id == method["id"] and claim.signer == actor["id"]
        proofs.verify(claim, method["publicKeyMultibase"])
        campaign = await campaigns.create_campaign(group, "heat", "Heat", hashtags=["heatwave"])
        served = (await hub.get(f"/groups/climate/objects/campaign/{campaign.id}", Accept="application/activity+json")).json()
        assert served["attributedTo"] == actor["id"]  # the group's own object, served with its proof
        proofs.verify(proofs.check_form(served), method["publicKeyMultibase"])
        changed = {**accept, "object": {**accept["object"], "actor": "https://remote.test/users/mallory"}}
        with pytest.raises(ProofError):
            proofs.verify(proofs.check_form(changed), method["publicKeyMultibase"])


async def test_with_proofs_signs_the_groups_own_object_and_leaves_other_senders_alone(database_url, tmp_path) -> None:
    """A group's Create and its own Note are both signed; the instance actor's activities are not; our own proofs are not taken in."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group("climate")
        group = hub.group_id()
        note = {"id": f"{group}/notes/1", "type": "Note", "attributedTo": group, "content": "<p>Meeting</p>"}
        create = {"@context": CONTEXT, "id": f"{group}/notes/1/create", "type": "Create", "actor": group, "object": note}
        signed = await with_proofs(create, group)
        for document in (signed, signed["object"]):
            assert proofs.check_form(document).key_id == f"{group}#ed25519-key"
        huge = {**create, "id": f"{group}/notes/2/create", "object": {**note, "id": f"{group}/notes/2", "votersCount": 2**60}}
        assert "proof" not in await with_proofs(huge, group)  # JCS cannot carry it: sent unproven rather than not at all
        instance = {**create, "actor": hub.fed.urls.instance_actor}
        assert await with_proofs(instance, hub.fed.urls.instance_actor) == instance
        with pytest.raises(ProofError, match="this hub's own actor"):
            await proven_object(hub.fed, signed)
