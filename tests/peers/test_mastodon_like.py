"""Tests of the Mastodon-like peer itself, run as two real processes.

They prove the peer can fail: bad signatures, stale dates, RFC 9421 without the
flag and unsigned fetches under authorized fetch are all refused and recorded.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from cryptography.hazmat.primitives import serialization

from tests.peers.mastodon_like import PeerHandle, launch, ldsign
from tests.peers.mastodon_like.signing import http_date
from tests.peers.mastodon_like.state import PUBLIC
from tests.support.processes import ServerProcess, free_port, wait_until, wait_until_sync

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def peers() -> Iterator[tuple[PeerHandle, PeerHandle]]:
    """Peer 1: plain Mastodon. Peer 2: authorized fetch, RFC 9421 accepted, poses as lemmy."""
    one = launch()
    try:
        two = launch("--authorized-fetch", "--accept-rfc9421", "--software", "lemmy")
    except BaseException:
        one.stop()
        raise
    try:
        yield one, two
    finally:
        one.stop()
        two.stop()


@pytest.fixture
def pair(peers: tuple[PeerHandle, PeerHandle]) -> tuple[PeerHandle, PeerHandle]:
    """The two peers with their records cleared."""
    for peer in peers:
        peer.control("reset", {})
    return peers


def actor(peer: PeerHandle, prefix: str) -> dict:
    """A fresh actor with a unique name on `peer`."""
    return peer.control("actors", {"name": f"{prefix}_{uuid.uuid4().hex[:8]}"})


def follow_activity(a: dict, b: dict) -> dict:
    """A Follow from a to b."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a['id']}#f-{uuid.uuid4().hex}",
            "type": "Follow", "actor": a["id"], "object": b["id"]}


def test_signed_follow_is_recorded_valid_and_accepted(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """A Follow sent via /_control/send verifies on the other peer, which auto-accepts."""
    one, two = pair
    a, b = actor(one, "a"), actor(two, "b")
    activity = follow_activity(a, b)
    res = one.control("send", {"actor": a["name"], "inbox": b["inbox"], "activity": activity})
    assert res["status"] == 202, res
    [rec] = two.control("received", type="Follow")
    assert rec["valid"] is True and rec["reason"] is None
    assert rec["scheme"] == "cavage" and rec["key_id"] == a["key_id"] and rec["signer"] == a["id"]
    assert rec["actor_matches"] is True and rec["activity"] == activity and rec["status"] == 202
    sig = rec["headers"]["signature"]
    assert f'keyId="{a["key_id"]}"' in sig and 'algorithm="rsa-sha256"' in sig
    assert 'headers="(request-target) host date digest"' in sig
    assert rec["headers"]["digest"].startswith("SHA-256=")
    assert rec["headers"]["content-type"] == "application/activity+json"
    accepts = wait_until_sync(lambda: one.control("received", type="Accept"), message="no Accept came back")
    assert accepts[0]["valid"] is True and accepts[0]["activity"]["object"]["id"] == activity["id"]


@pytest.mark.parametrize(("tamper", "reason"), [("body", "Digest does not match body"),
                                                ("signature", "signature does not verify")])
def test_tampered_body_is_refused_and_recorded(pair: tuple[PeerHandle, PeerHandle], tamper: str, reason: str) -> None:
    """A body changed after signing gets 401 and an invalid record."""
    one, two = pair
    a, b = actor(one, "a"), actor(two, "b")
    res = one.control("send", {"actor": a["name"], "inbox": b["inbox"], "activity": follow_activity(a, b), "tamper": tamper})
    assert res["status"] == 401
    [rec] = two.control("received")
    assert rec["valid"] is False and rec["status"] == 401 and rec["reason"] == reason
    assert rec["activity"]["tampered"] is True
    assert two.control("received", valid="true") == []
    assert one.control("received", type="Accept") == []


@pytest.mark.parametrize(("options", "reason"), [
    ({"date": http_date(0)}, "off"),
    ({"sign": False}, "unsigned request"),
    ({"key_id": "OTHER"}, "signature does not verify"),
])
def test_bad_signatures_are_refused(pair: tuple[PeerHandle, PeerHandle], options: dict, reason: str) -> None:
    """Stale Date, no signature, or someone else's key id: 401."""
    one, two = pair
    a, b, c = actor(one, "a"), actor(two, "b"), actor(one, "c")
    if options.get("key_id") == "OTHER":
        options = {"key_id": c["key_id"]}
    res = one.control("send", {"actor": a["name"], "inbox": f"{two.base}/inbox", "activity": follow_activity(a, b), **options})
    assert res["status"] == 401
    [rec] = two.control("received")
    assert rec["valid"] is False and reason in rec["reason"]


def test_rfc9421_refused_without_flag_and_verified_with_it(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """Peer 1 (like Mastodon < 4.5) answers 401 to RFC 9421; peer 2 verifies it."""
    one, two = pair
    a, b = actor(one, "a"), actor(two, "b")
    res = two.control("send", {"actor": b["name"], "inbox": a["inbox"], "activity": follow_activity(b, a), "scheme": "rfc9421"})
    assert res["status"] == 401
    [rec] = one.control("received")
    assert rec["scheme"] == "rfc9421" and rec["valid"] is False and "not supported" in rec["reason"]

    res = one.control("send", {"actor": a["name"], "inbox": b["inbox"], "activity": follow_activity(a, b), "scheme": "rfc9421"})
    assert res["status"] == 202
    [rec] = two.control("received", type="Follow")
    assert rec["scheme"] == "rfc9421" and rec["valid"] is True and rec["signer"] == a["id"]
    assert rec["headers"]["signature-input"].startswith('sig1=("@method" "@target-uri"')

    res = one.control("send", {"actor": a["name"], "inbox": b["inbox"], "activity": follow_activity(a, b),
                               "scheme": "rfc9421", "tamper": "signature"})
    assert res["status"] == 401
    assert two.control("received", valid="false")[0]["reason"] == "signature does not verify"


def test_webfinger_nodeinfo_and_interaction(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """WebFinger carries self and subscribe links; NodeInfo names the software."""
    one, two = pair
    a = actor(one, "a")
    resp = httpx.get(f"{one.base}/.well-known/webfinger", params={"resource": f"acct:{a['handle']}"}, trust_env=False)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/jrd+json")
    links = {link["rel"]: link for link in resp.json()["links"]}
    assert links["self"] == {"rel": "self", "type": "application/activity+json", "href": a["id"]}
    template = links["http://ostatus.org/schema/1.0/subscribe"]["template"]
    assert template == f"http://{one.domain}/authorize_interaction?uri={{uri}}"
    missing = httpx.get(f"{one.base}/.well-known/webfinger", params={"resource": f"acct:nobody@{one.domain}"}, trust_env=False)
    assert missing.status_code == 404

    page = httpx.get(template.replace("{uri}", "https%3A%2F%2Fhub.example%2Fg%2Fx"), trust_env=False)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert one.control("interactions") == ["https://hub.example/g/x"]

    doc = httpx.get(a["id"], trust_env=False)
    assert doc.headers["content-type"] == "application/activity+json"
    body = doc.json()
    assert body["type"] == "Person" and body["publicKey"]["id"] == f"{a['id']}#main-key"
    assert httpx.get(a["key_id"], trust_env=False).json()["publicKey"]["publicKeyPem"] == a["public_key_pem"]
    assert body["endpoints"]["sharedInbox"] == f"{one.base}/inbox"
    for peer, name in ((one, "mastodon"), (two, "lemmy")):
        href = httpx.get(f"{peer.base}/.well-known/nodeinfo", trust_env=False).json()["links"][0]["href"]
        assert httpx.get(href, trust_env=False).json()["software"] == {"name": name, "version": "4.3.0"}


def test_authorized_fetch_refuses_unsigned_and_serves_signed(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """Peer 2 serves its notes only to signed GETs; peer 1 serves them openly."""
    one, two = pair
    b = actor(two, "b")
    note_id = two.control("post", {"actor": b["name"], "content": "hello", "inbox": []})["note_id"]
    assert httpx.get(note_id, trust_env=False).status_code == 401
    signed = one.control("fetch", {"url": note_id})
    assert signed["status"] == 200 and signed["json"]["id"] == note_id and signed["json"]["type"] == "Note"
    gated = [f for f in two.control("fetches") if f["path"].endswith(note_id.rsplit("/", 1)[1])]
    assert [(f["signed"], f["valid"]) for f in gated] == [(False, False), (True, True)]
    signature = gated[1]["headers"]["signature"]
    assert 'headers="(request-target) host date accept"' in signature
    assert f'keyId="{one.base}/actor#main-key"' in signature

    a = actor(one, "a")
    open_note = one.control("post", {"actor": a["name"], "content": "open", "inbox": []})["note_id"]
    assert httpx.get(open_note, trust_env=False).status_code == 200


async def test_post_edit_delete_with_mentions(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """Control follow/post/edit/delete produce Mastodon-shaped, validly signed activities."""
    one, two = pair
    a, b = actor(one, "a"), actor(two, "b")
    res = one.control("follow", {"actor": a["name"], "target": b["handle"]})
    assert res["status"] == 202 and res["follow_id"].startswith(f"{one.base}/activities/")

    async def accepted() -> bool:
        """True once peer 1 marks the follow accepted."""
        async with httpx.AsyncClient(trust_env=False) as client:
            follows = (await client.get(f"{one.base}/_control/follows")).json()
        return any(f["id"] == res["follow_id"] and f["state"] == "accepted" for f in follows)

    await wait_until(accepted, message="follow never accepted")

    post = two.control("post", {"actor": b["name"], "content": "hi there", "mentions": [a["handle"]], "visibility": "unlisted"})
    assert [s["status"] for s in post["statuses"]] == [202]  # shared inbox, deduplicated with the follower's
    note = post["note"]
    assert note["to"] == [f"{b['id']}/followers"]
    assert note["cc"] == ["https://www.w3.org/ns/activitystreams#Public", a["id"]]
    assert note["tag"] == [{"type": "Mention", "href": a["id"], "name": f"@{a['handle']}"}]
    assert 'class="u-url mention">@<span>' in note["content"] and note["contentMap"] == {"en": note["content"]}
    [create] = one.control("received", type="Create")
    assert create["valid"] and create["path"] == "/inbox" and create["activity"]["id"] == f"{note['id']}/activity"

    two.control("edit", {"actor": b["name"], "note_id": post["note_id"], "content": "edited"})
    two.control("delete", {"actor": b["name"], "note_id": post["note_id"]})
    [update] = one.control("received", type="Update")
    [delete] = one.control("received", type="Delete")
    assert update["valid"] and "updated" in update["activity"]["object"]
    assert delete["valid"] and delete["activity"]["object"] == {"id": note["id"], "type": "Tombstone", "atomUri": note["id"]}

    undo = one.control("unfollow", {"actor": a["name"], "follow_id": res["follow_id"], "target": b["id"]})
    assert undo["status"] == 202
    assert two.control("received", type="Undo")[0]["activity"]["object"]["id"] == res["follow_id"]


def test_forwarded_edits_apply_only_on_the_authors_ld_signature(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """As Mastodon: an Update or Delete delivered by another account changes a status only when its author's
    RsaSignature2017 verifies; a tampered or unsigned copy is recorded and changes nothing. A public post of a
    peer not in secure mode carries the signature; one in secure mode (authorized fetch) does not."""
    one, two = pair
    reader, author, forwarder = actor(one, "r"), actor(two, "w"), actor(two, "f")
    assert one.control("follow", {"actor": reader["name"], "target": author["handle"]})["status"] == 202
    wait_until_sync(lambda: any(f["state"] == "accepted" for f in one.control("follows")), message="follow accepted")
    post = two.control("post", {"actor": author["name"], "content": "Saturday"})
    assert "signature" not in post["activity"]  # secure mode: no LD signature, as Mastodon
    note_id = post["note_id"]
    wait_until_sync(lambda: [s for s in one.control("timeline") if s["id"] == note_id], message="the status shown")
    signed = one.control("post", {"actor": reader["name"], "content": "signed"})["activity"]["signature"]
    assert signed["type"] == "RsaSignature2017" and signed["creator"] == f"{reader['id']}#main-key"

    key = serialization.load_pem_private_key(author["private_key_pem"].encode(), password=None)
    base = {"@context": "https://www.w3.org/ns/activitystreams", "actor": author["id"], "to": [PUBLIC]}
    note = {"id": note_id, "type": "Note", "attributedTo": author["id"], "to": [PUBLIC], "content": "<p>Sunday</p>"}
    update = ldsign.sign({**base, "id": f"{note_id}#updates/1", "type": "Update", "object": note}, author["key_id"], key)
    tampered = {**update, "object": {**note, "content": "<p>Never</p>"}}
    delete = {**base, "id": f"{note_id}#delete", "type": "Delete", "object": {"id": note_id, "type": "Tombstone"}}

    def forward(activity: dict) -> dict:
        """Deliver ``activity`` to peer 1 signed by the forwarder; the record peer 1 made of it."""
        assert two.control("send", {"actor": forwarder["name"], "inbox": f"{one.base}/inbox", "activity": activity})["status"] == 202
        return [r for r in one.control("received") if (r["activity"] or {}).get("id") == activity["id"]][-1]

    def content() -> str | None:
        """What peer 1's users see of the status."""
        return next((s["content"] for s in one.control("timeline") if s["id"] == note_id), None)

    assert forward(tampered)["ld_verified"] is False and content() == "<p>Saturday</p>"
    assert forward(update)["ld_verified"] is True and content() == "<p>Sunday</p>"
    assert forward(delete)["ld_verified"] is False and content() == "<p>Sunday</p>"
    assert forward(ldsign.sign(delete, author["key_id"], key))["ld_verified"] is True and content() is None


def test_process_helpers(tmp_path) -> None:
    """ServerProcess stop/kill9/wait_http failures and the wait helpers' timeouts."""
    sleeper = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    proc = ServerProcess(sleeper, log_dir=tmp_path, name="sleeper")
    wait_until_sync(lambda: "up" in proc.log_text(), timeout=10, message="no output")
    assert proc.stop(timeout=5) == -15
    proc = ServerProcess(sleeper, log_dir=tmp_path, name="sleeper2")
    assert proc.kill9() == -9 and not proc.alive()

    dead = ServerProcess([sys.executable, "-c", "raise SystemExit(3)"], log_dir=tmp_path)
    with pytest.raises(AssertionError, match="exited with 3"):
        dead.wait_http(f"http://127.0.0.1:{free_port()}/", deadline=5)

    with pytest.raises(AssertionError, match=r"never true .*last value: 0"):
        wait_until_sync(lambda: 0, timeout=0.1, message="never true")


async def test_async_wait_until_reports_last_value() -> None:
    """wait_until accepts async predicates and reports the last value on timeout."""

    async def never() -> list:
        """Always empty."""
        return []

    with pytest.raises(AssertionError, match=r"still empty .*last value: \[\]"):
        await wait_until(never, timeout=0.1, message="still empty")
    assert await wait_until(lambda: "ok", timeout=1) == "ok"


def test_move_is_followed_only_when_the_target_names_the_origin(pair: tuple[PeerHandle, PeerHandle]) -> None:
    """As Mastodon: a Move to an account without the origin in alsoKnownAs is refused and changes nothing; once the
    target names it, the peer follows the target and unfollows the origin for each local follower."""
    one, two = pair
    fan, old, new = actor(one, "fan"), actor(two, "old"), actor(two, "new")
    one.control("follow", {"actor": fan["name"], "target": old["id"]})
    wait_until_sync(lambda: [f for f in one.control("follows") if f["target"] == old["id"] and f["state"] == "accepted"],
                    timeout=20, message="the Accept of fan's follow")
    two.control("move", {"actor": old["name"], "target": new["id"]})
    moves = wait_until_sync(lambda: one.control("moves"), timeout=20, message="the first Move handled")
    assert [m["outcome"] for m in moves] == ["refused"]
    assert {f["target"]: f["state"] for f in one.control("follows") if f["actor"] == fan["id"]} == {old["id"]: "accepted"}

    two.control("alias", {"actor": new["name"], "also_known_as": [old["id"]]})
    two.control("move", {"actor": old["name"], "target": new["id"]})
    wait_until_sync(lambda: len(one.control("moves")) == 2 or None, timeout=20, message="the second Move handled")
    assert one.control("moves")[1]["outcome"] == "moved" and one.control("moves")[1]["followers"] == [fan["id"]]
    wait_until_sync(lambda: {f["target"]: f["state"] for f in one.control("follows") if f["actor"] == fan["id"]}
                    == {old["id"]: "undone", new["id"]: "accepted"} or None, timeout=20, message="the follow moved")
    assert [r["activity"]["object"]["object"] for r in two.control("received", type="Undo") if r["valid"]] == [old["id"]]
