"""Three hubs collaborating: invites answered, revoked and forged; a shared space; group follows that never loop."""

from __future__ import annotations

import time

import pytest

from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]


def announces_of(peer, note_id: str) -> list[dict]:
    """Valid Announces of one note that the peer received."""
    out = []
    for record in peer.control("received", type="Announce"):
        activity = record["activity"] or {}
        obj = activity.get("object")
        obj_id = obj if isinstance(obj, str) else (obj or {}).get("id")
        if record["valid"] and obj_id == note_id:
            out.append(record)
    return out


def invite_rows(hub, **match) -> list[dict]:
    """The hub's invites matching the given fields."""
    return hub.invites(**match)


def quiet(*hubs, seconds: float = 30) -> None:
    """Wait until no hub has queued deliveries or pending work, then a little more for in-flight requests."""
    def drained() -> bool:
        return all(h.queued_deliveries() == 0 for h in hubs)
    wait_until_sync(drained, timeout=seconds, message="delivery queues drained")
    time.sleep(1.0)
    wait_until_sync(drained, timeout=seconds, message="delivery queues drained")


def join(peer, name: str, handle: str) -> None:
    """A peer user follows a group and waits for the Accept."""
    peer.control("actors", {"name": name})
    before = len([r for r in peer.control("received", type="Accept") if r["valid"]])
    peer.control("follow", {"actor": name, "target": handle})
    wait_until_sync(lambda: len([r for r in peer.control("received", type="Accept") if r["valid"]]) > before,
                    timeout=20, message=f"{name} accepted into {handle}")


def test_collaboration_between_three_hubs(hub_factory, peer_factory):
    """A invites B (accepted), B again (rejected), C (revoked); a post to the collaboration reaches A's and B's members once."""
    a, b, c = hub_factory("a"), hub_factory("b"), hub_factory("c")
    a.cli("group", "create", "lisbon", "--name", "Lisbon Housing")
    b.cli("group", "create", "berlin", "--name", "Berlin Housing")
    c.cli("group", "create", "paris", "--name", "Paris Housing")
    for hub in (a, b, c):
        hub.start()

    # A invites B to a collaboration; B sees it and accepts
    a.cli("invite", "send", "lisbon", f"berlin@{b.domain}", "--collaboration", "Housing Alliance", "--message", "Join us")
    incoming = wait_until_sync(lambda: invite_rows(b, direction="incoming"), timeout=20, message="B received the invite")
    b.cli("invite", "accept", str(incoming[0]["id"]))
    wait_until_sync(lambda: invite_rows(a, direction="outgoing", state="accepted"), timeout=20, message="A saw the Accept")
    collab_url = incoming[0]["object"]
    collab_slug = collab_url.rsplit("/", 1)[1]
    wait_until_sync(
        lambda: a.members(collab_slug).get(b.group_url("berlin"), {}).get("state") == "accepted",
        timeout=20, message="berlin is a partner of the collaboration",
    )

    # Members: m1 in lisbon (A), m2 in berlin (B), f follows the collaboration itself; each on its own server
    p1, p2, p3 = peer_factory(), peer_factory(), peer_factory()
    join(p1, "m1", f"lisbon@{a.domain}")
    join(p2, "m2", f"berlin@{b.domain}")
    join(p3, "f", f"{collab_slug}@{a.domain}")

    # f posts to the collaboration: members of lisbon and of berlin each get it exactly once
    post = p3.control("post", {"actor": "f", "content": "Joint action day on 1 May", "mentions": [collab_url]})
    wait_until_sync(lambda: announces_of(p1, post["note_id"]), timeout=30, message="lisbon's member got it")
    wait_until_sync(lambda: announces_of(p2, post["note_id"]), timeout=30, message="berlin's member got it")
    quiet(a, b)
    assert len(announces_of(p1, post["note_id"])) == 1
    assert len(announces_of(p2, post["note_id"])) == 1
    assert announces_of(p1, post["note_id"])[0]["activity"]["actor"] == a.group_url("lisbon")
    assert announces_of(p2, post["note_id"])[0]["activity"]["actor"] == b.group_url("berlin")

    # B rejects a second invite
    a.cli("invite", "send", "lisbon", f"berlin@{b.domain}", "--collaboration", "Rent Strike")
    second = wait_until_sync(lambda: invite_rows(b, direction="incoming", state="pending"), timeout=20, message="second invite")
    b.cli("invite", "reject", str(second[0]["id"]))
    wait_until_sync(lambda: invite_rows(a, direction="outgoing", state="rejected"), timeout=20, message="A saw the Reject")

    # A revokes a third invite, to C, before C answers
    a.cli("invite", "send", "lisbon", f"paris@{c.domain}", "--collaboration", "Housing Alliance")
    wait_until_sync(lambda: invite_rows(c, direction="incoming", state="pending"), timeout=20, message="C received the invite")
    third = invite_rows(a, direction="outgoing", state="pending")[0]
    a.cli("invite", "revoke", str(third["id"]))
    wait_until_sync(lambda: invite_rows(c, direction="incoming", state="revoked"), timeout=20, message="C saw the Undo")

    # A forged Accept of a pending invite, signed by someone other than the invited group, is refused
    a.cli("invite", "send", "lisbon", f"paris@{c.domain}", "--collaboration", "Second Alliance")
    pending = wait_until_sync(lambda: invite_rows(a, direction="outgoing", state="pending"), timeout=20, message="a pending invite")[0]
    p1.control("actors", {"name": "mallory"})
    forged = p1.control("send", {"actor": "mallory", "inbox": f"{a.base}/inbox", "activity": {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{p1.base}/activities/forged-accept",
        "type": "Accept", "actor": f"{p1.base}/users/mallory", "object": pending["invite_uri"]}})
    assert forged["status"] == 403, forged
    unknown = p1.control("send", {"actor": "mallory", "inbox": f"{a.base}/inbox", "activity": {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{p1.base}/activities/forged-accept-2",
        "type": "Accept", "actor": f"{p1.base}/users/mallory", "object": f"{a.group_url('lisbon')}/activities/invite/nope"}})
    assert unknown["status"] == 404, unknown
    assert invite_rows(a, id=pending["id"])[0]["state"] == "pending"


def test_mutual_group_follows_do_not_loop(hub_factory, peer_factory):
    """A follows B and B follows A, both relaying: a post in B reaches A's members once and never bounces."""
    a, b = hub_factory("a"), hub_factory("b")
    a.cli("group", "create", "lisbon", "--name", "Lisbon")
    b.cli("group", "create", "berlin", "--name", "Berlin")
    a.start()
    b.start()
    a.cli("group", "follow", "lisbon", f"berlin@{b.domain}", "--relay")
    b.cli("group", "follow", "berlin", f"lisbon@{a.domain}", "--relay")
    wait_until_sync(lambda: b.members("berlin").get(a.group_url("lisbon"), {}).get("state") == "accepted",
                    timeout=20, message="lisbon follows berlin")
    wait_until_sync(lambda: a.members("lisbon").get(b.group_url("berlin"), {}).get("state") == "accepted",
                    timeout=20, message="berlin follows lisbon")
    p1, p2 = peer_factory(), peer_factory()
    join(p1, "m1", f"lisbon@{a.domain}")
    join(p2, "m2", f"berlin@{b.domain}")

    post = p2.control("post", {"actor": "m2", "content": "Tenant meeting tonight", "mentions": [b.group_url("berlin")]})
    wait_until_sync(lambda: announces_of(p1, post["note_id"]), timeout=30, message="relayed to lisbon's member")
    quiet(a, b)
    assert len(announces_of(p1, post["note_id"])) == 1
    assert len(announces_of(p2, post["note_id"])) == 1
    page = a.get("/groups/lisbon").text
    assert "Tenant meeting tonight" in page


def test_person_invite_lets_a_mastodon_user_into_a_closed_group(hub_factory, peer_factory):
    """A person invite reaches Mastodon as a readable DM; the invitee's follow of a closed group is accepted at once."""
    hub = hub_factory("a")
    hub.cli("group", "create", "tenants", "--name", "Tenants Union", "--closed")
    hub.start()
    peer = peer_factory()
    peer.control("actors", {"name": "carol"})
    hub.cli("invite", "send", "tenants", f"@carol@{peer.domain}", "--message", "We would love your help")
    dms = wait_until_sync(
        lambda: [r for r in peer.control("received", type="Create") if r["valid"] and r["activity"]["object"]["to"] == [f"{peer.base}/users/carol"]],
        timeout=20, message="the readable invitation",
    )
    content = dms[0]["activity"]["object"]["content"]
    assert f"@tenants@{hub.domain}" in content and "We would love your help" in content
    assert [r for r in peer.control("received", type="Invite") if r["valid"]]

    peer.control("follow", {"actor": "carol", "target": f"tenants@{hub.domain}"})
    wait_until_sync(lambda: [r for r in peer.control("received", type="Accept") if r["valid"]], timeout=20,
                    message="Accept without approval")
    assert invite_rows(hub, kind="membership")[0]["state"] == "used"
