"""Two-way shared spaces across three hubs (Lisbon hosts, Berlin and Nairobi partner), each with a Mastodon-like member.

A Berlin member's post with the space's hashtag reaches Lisbon's and Nairobi's members once each;
a Nairobi moderator's removal takes it down on every hub; forged moderator claims are refused with
a log line; Berlin leaves and stops receiving and contributing; three spaces following each other
in a loop share a post once each and never echo it.
"""

from __future__ import annotations

import pytest

from tests.integration.test_collaboration import announces_of, join, quiet
from tests.support.processes import wait_until_sync

pytestmark = [pytest.mark.integration, pytest.mark.db]

TAG = "housingalliance"


def post_states(hub, uri: str) -> dict[str, str]:
    """The state of each group's copy of a post on one hub, by group slug."""
    rows = hub.query("SELECT g.slug AS slug, p.state AS state FROM posts p JOIN groups g ON g.id = p.group_id WHERE p.uri = %s", uri)
    return {row["slug"]: row["state"] for row in rows}


def follow_state(hub, slug: str, target: str) -> str | None:
    """The state of local group ``slug``'s follow of ``target`` (None: no follow)."""
    rows = hub.query("SELECT f.state AS state FROM group_follows f JOIN groups g ON g.id = f.group_id "
                     "JOIN accounts a ON a.id = f.target_id WHERE g.slug = %s AND a.uri = %s", slug, target)
    return rows[0]["state"] if rows else None


def undos_of(peer, note_id: str) -> list[dict]:
    """Valid Undo{Announce} of a note the peer received."""
    out = []
    for record in peer.control("received", type="Undo"):
        inner = (record["activity"] or {}).get("object") or {}
        if record["valid"] and isinstance(inner, dict) and inner.get("type") == "Announce" and inner.get("object") == note_id:
            out.append(record)
    return out


def test_two_way_space_across_three_hubs(hub_factory, peer_factory):
    """Berlin's member feeds the space; Nairobi's moderator removes it everywhere; forgeries refused; Berlin leaves."""
    a, b, c = hub_factory("a"), hub_factory("b"), hub_factory("c")
    a.cli("group", "create", "lisbon", "--name", "Lisbon Housing")
    b.cli("group", "create", "berlin", "--name", "Berlin Housing")
    c.cli("group", "create", "nairobi", "--name", "Nairobi Housing")
    c.cli("group", "create", "paris", "--name", "Not A Partner")
    for hub in (a, b, c):
        hub.start()

    a.cli("collaboration", "start", "lisbon", "Housing Alliance", "--hashtag", TAG, "--description", "Three cities, one rent strike",
          "--ends", "2099-12-31")
    for hub, slug in ((b, "berlin"), (c, "nairobi")):
        a.cli("invite", "send", "lisbon", f"{slug}@{hub.domain}", "--collaboration", "Housing Alliance")
        incoming = wait_until_sync(lambda hub=hub: hub.invites(direction="incoming"), timeout=20, message=f"{slug} got the invite")
        hub.cli("invite", "accept", str(incoming[0]["id"]))
    space = incoming[0]["object"]
    space_slug = space.rsplit("/", 1)[1]
    for hub, slug in ((b, "berlin"), (c, "nairobi")):
        wait_until_sync(lambda hub=hub, slug=slug: follow_state(a, space_slug, hub.group_url(slug)) == "accepted", timeout=30,
                        message=f"the space follows {slug}")
        wait_until_sync(lambda hub=hub, slug=slug: follow_state(hub, slug, space) == "accepted", timeout=30,
                        message=f"{slug} follows the space")

    listed = a.cli_json("collaboration", "list")
    assert [(r["role"], r["hashtag"], r["description"]) for r in listed] == [("host", TAG, "Three cities, one rent strike")]
    assert sorted(listed[0]["partners"]) == sorted([a.group_url("lisbon"), b.group_url("berlin"), c.group_url("nairobi")])
    assert listed[0]["ends_at"].startswith("2099-12-31")
    assert [(r["role"], r["group"], r["space"]) for r in b.cli_json("collaboration", "list")] == [("partner", "berlin", space)]

    a.cli("campaign", "create", space_slug, "Rent Strike", "--slug", "strike", "--hashtag", TAG)
    p1, p2, p3 = peer_factory(), peer_factory(), peer_factory()
    join(p1, "m1", f"lisbon@{a.domain}")
    join(p2, "m2", f"berlin@{b.domain}")
    join(p3, "m3", f"nairobi@{c.domain}")

    # 1. A Berlin member posts to Berlin with the space's hashtag, without following the space
    post = p2.control("post", {"actor": "m2", "content": f"Rent strike starts Monday #{TAG}", "mentions": [b.group_url("berlin")]})
    note = post["note_id"]
    wait_until_sync(lambda: announces_of(p1, note), timeout=40, message="lisbon's member got berlin's post")
    wait_until_sync(lambda: announces_of(p3, note), timeout=40, message="nairobi's member got berlin's post")
    quiet(a, b, c)
    assert len(announces_of(p1, note)) == 1 and announces_of(p1, note)[0]["activity"]["actor"] == a.group_url("lisbon")
    assert len(announces_of(p2, note)) == 1 and announces_of(p2, note)[0]["activity"]["actor"] == b.group_url("berlin")
    assert len(announces_of(p3, note)) == 1 and announces_of(p3, note)[0]["activity"]["actor"] == c.group_url("nairobi")
    credited = a.query("SELECT a.uri AS via, au.uri AS author FROM posts p JOIN groups g ON g.id = p.group_id "
                       "JOIN accounts a ON a.id = p.via_id JOIN accounts au ON au.id = p.author_id WHERE g.slug = %s AND p.uri = %s",
                       space_slug, note)
    assert credited == [{"via": b.group_url("berlin"), "author": f"{p2.base}/users/m2"}]
    # a Nairobi member addresses the space itself (no hashtag): it comes in through Nairobi, no Reject from the space
    addressed = p3.control("post", {"actor": "m3", "content": "Nairobi tenants vote tonight", "mentions": [c.group_url("nairobi"), space]})
    wait_until_sync(lambda: announces_of(p1, addressed["note_id"]) and announces_of(p2, addressed["note_id"]), timeout=40,
                    message="lisbon's and berlin's members got nairobi's post to the space")
    quiet(a, b, c)
    assert [len(announces_of(p, addressed["note_id"])) for p in (p1, p2, p3)] == [1, 1, 1]
    assert not [r for r in p3.control("received", type="Reject") if r["valid"]]

    # 3 (campaigns): the space's campaign gathered berlin's member's post, credited to berlin
    gathered = a.cli_json("campaign", "posts", space_slug, "strike")
    assert [(g["uri"], g["source"], g["via"]) for g in gathered] == [(note, "partner", b.group_url("berlin"))]
    # partners' calls tagged for the space's campaign add up in its impact numbers, each credited to its group
    b.cli("campaign", "create", "berlin", "Mietstreik", "--slug", "streik", "--hashtag", TAG)
    b.cli("call", "create", "berlin", "--what", "Picket the landlord", "--needed", "3", "--campaign", "streik")
    a.cli("campaign", "create", "lisbon", "Greve", "--slug", "greve", "--hashtag", TAG)
    a.cli("call", "create", "lisbon", "--what", "Leaflets at the market", "--needed", "2", "--campaign", "greve")
    questions = wait_until_sync(lambda: [r["activity"]["object"] for r in p2.control("received", type="Create") if r["valid"]
                                         and isinstance(r["activity"]["object"], dict) and r["activity"]["object"].get("type") == "Question"],
                                timeout=30, message="berlin's call reached its member")
    assert p2.control("vote", {"actor": "m2", "question": questions[0]["id"]})["status"] == 202

    def strike() -> dict:
        return next(c for c in a.cli_json("campaign", "list", space_slug) if c["slug"] == "strike")

    wanted = sorted([(b.group_url("berlin"), 1, 1), (a.group_url("lisbon"), 1, 0)])
    wait_until_sync(lambda: sorted((g["group"], g["calls"], g["signups"]) for g in strike()["by_group"]) == wanted, timeout=40,
                    message="the space's campaign counts berlin's call with its sign-up and lisbon's call")
    assert (strike()["calls"], strike()["signups"]) == (2, 1)

    untagged = p2.control("post", {"actor": "m2", "content": "Berlin-only meeting", "mentions": [b.group_url("berlin")]})
    quiet(a, b, c)
    assert post_states(a, untagged["note_id"]) == {} and not announces_of(p3, untagged["note_id"])

    # 2. Nairobi names a moderator, who removes the post: it goes on every hub
    p3.control("actors", {"name": "nmod"})
    moderator = f"{p3.base}/users/nmod"
    c.cli("collaboration", "moderator", "nairobi", space, moderator)
    wait_until_sync(lambda: a.query("SELECT id FROM collaboration_moderators"), timeout=20, message="the host knows nairobi's moderator")

    # forged claims first: a non-partner group, and a stranger signing a Remove of the space's post
    refused = c.cli("collaboration", "remove", "paris", space, note, "--by", moderator, check=False)
    assert refused.returncode == 1 and "not a partner" in refused.stderr
    p1.control("actors", {"name": "mallory"})
    p1.control("send", {"actor": "mallory", "inbox": f"{a.base}/inbox", "activity": {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{p1.base}/activities/forged-remove", "type": "Remove",
        "actor": f"{p1.base}/users/mallory", "object": note, "target": space, "attributedTo": f"{p1.base}/users/mallory"}})
    wait_until_sync(lambda: "claims to moderate" in a.log(), timeout=20, message="the forged claim is logged")
    assert post_states(a, note) == {space_slug: "published", "lisbon": "published"}

    c.cli("collaboration", "remove", "nairobi", space, note, "--by", moderator, "--reason", "doxxing")
    wait_until_sync(lambda: post_states(a, note) == {space_slug: "removed", "lisbon": "removed"}, timeout=30, message="removed at the host")
    wait_until_sync(lambda: post_states(b, note) == {"berlin": "removed"}, timeout=30, message="removed at berlin")
    wait_until_sync(lambda: post_states(c, note) == {"nairobi": "removed"}, timeout=30, message="removed at nairobi")
    wait_until_sync(lambda: undos_of(p1, note) and undos_of(p3, note), timeout=30, message="members' servers told to drop it")

    # 3. Berlin leaves: it stops receiving and contributing at once
    b.cli("collaboration", "leave", "berlin", space)
    wait_until_sync(lambda: a.members(space_slug)[b.group_url("berlin")]["state"] == "left", timeout=20, message="the host saw berlin leave")
    after = p1.control("post", {"actor": "m1", "content": f"Lisbon joins the strike #{TAG}", "mentions": [a.group_url("lisbon")]})
    wait_until_sync(lambda: announces_of(p3, after["note_id"]), timeout=40, message="nairobi still gets lisbon's post")
    late = p2.control("post", {"actor": "m2", "content": f"Still here? #{TAG}", "mentions": [b.group_url("berlin")]})
    quiet(a, b, c)
    assert not announces_of(p2, after["note_id"]) and post_states(b, after["note_id"]) == {}
    assert post_states(a, late["note_id"]) == {} and not announces_of(p3, late["note_id"])
    assert [r["role"] for r in b.cli_json("collaboration", "list")] == []
    assert [(g["uri"], g["via"]) for g in a.cli_json("campaign", "posts", space_slug, "strike")] == [(after["note_id"], None)]


def test_loop_of_three_spaces_never_echoes(hub_factory, peer_factory):
    """Spaces on three hubs follow each other in a circle, relaying: one post reaches each member once, then stops."""
    a, b, c = hub_factory("a"), hub_factory("b"), hub_factory("c")
    for hub, slug in ((a, "s1"), (b, "s2"), (c, "s3")):
        hub.cli("group", "create", slug, "--name", slug.upper())
        hub.start()
    a.cli("group", "follow", "s1", f"s2@{b.domain}", "--relay")
    b.cli("group", "follow", "s2", f"s3@{c.domain}", "--relay")
    c.cli("group", "follow", "s3", f"s1@{a.domain}", "--relay")
    for hub, slug, target in ((a, "s1", b.group_url("s2")), (b, "s2", c.group_url("s3")), (c, "s3", a.group_url("s1"))):
        wait_until_sync(lambda hub=hub, slug=slug, target=target: follow_state(hub, slug, target) == "accepted", timeout=30,
                        message=f"{slug} follows {target}")
    peers = [peer_factory() for _ in range(3)]
    for peer, hub, slug in zip(peers, (a, b, c), ("s1", "s2", "s3")):
        join(peer, "m", f"{slug}@{hub.domain}")
    post = peers[0].control("post", {"actor": "m", "content": "Round and round", "mentions": [a.group_url("s1")]})
    for peer in peers:
        wait_until_sync(lambda peer=peer: announces_of(peer, post["note_id"]), timeout=40, message="every member got it")
    wait_until_sync(lambda: "already had" in a.log(), timeout=30, message="the post came back to s1 and stopped there")
    quiet(a, b, c)
    for peer in peers:
        assert len(announces_of(peer, post["note_id"])) == 1
    for hub in (a, b, c):
        assert list(post_states(hub, post["note_id"]).values()) == ["published"]
