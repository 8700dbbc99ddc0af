"""Moderation on the wire against the real app: rate limits, Flags, bans, roles, removals, members-only posts, retractions."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from federation.ratelimit import InboxLimiter, TokenBuckets
from federation.remote import account_for
from hub.clock import now
from hub.models import Account, Group, GroupFollow, InboxItem, Membership, Peer, Post, Report
from hub.services import members, moderation, posts
from tests.federation.harness import HUB_BASE, PUBLIC, FakeActor, Hub, SignOptions, running_hub, signed_headers

pytestmark = pytest.mark.db

GROUP = f"{HUB_BASE}/groups/climate"
GET_NAMES = ("(request-target)", "host", "date")


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def delivered(hub: Hub, kind: str, *, to: str | None = None) -> list[tuple[str, dict]]:
    """(inbox, activity) of the deliveries of one activity type (optionally to one inbox)."""
    return [(url, body) for url, body in hub.world.deliveries if body.get("type") == kind and (to is None or url == to)]


async def software(actor: FakeActor, name: str) -> None:
    """Record the NodeInfo software of an actor's server (as the follow would have)."""
    peer, _ = await Peer.get_or_create(host=urlsplit(actor.id).netloc)
    peer.software, peer.nodeinfo_fetched_at = name, now()
    await peer.save()


def create(actor: FakeActor, note_id: str, *, to: list[str], cc: list[str], text: str = "hello") -> dict:
    """A Mastodon-shaped Create{Note} by ``actor``."""
    note = {"id": note_id, "type": "Note", "attributedTo": actor.id, "to": to, "cc": cc, "content": f"<p>{text}</p>",
            "published": "2025-01-01T00:00:00Z", "tag": [{"type": "Mention", "href": GROUP, "name": "@climate@hub.test"}]}
    return {"id": f"{note_id}/activity", "type": "Create", "actor": actor.id, "to": to, "cc": cc, "object": note}


async def signed_get(hub: Hub, path: str, actor: FakeActor | None) -> httpx.Response:
    """GET a path of the hub, signed as ``actor`` (None: unsigned)."""
    headers = {"Accept": "application/activity+json"}
    if actor is not None:
        headers = signed_headers("GET", f"{HUB_BASE}{path}", b"", actor, SignOptions(names=GET_NAMES))
    return await hub.client.get(path, headers=headers)


# --- rate limits ---------------------------------------------------------------------------------


def test_token_bucket_limits_bursts_and_refills() -> None:
    """A bucket allows ``limit`` at once, then one more per window/limit seconds; 0 means unlimited."""
    clock = Clock()
    buckets = TokenBuckets(3, 60.0, clock=clock)
    for _ in range(3):
        assert buckets.wait("a", clock()) == 0
        buckets.take("a")
    assert buckets.wait("a", clock()) == pytest.approx(20.0)
    clock.t += 20
    assert buckets.wait("a", clock()) == 0
    assert TokenBuckets(0).wait("x", 0.0) == 0


def test_inbox_limiter_per_actor_and_per_host_with_retry_after() -> None:
    """Past the actor's budget its POSTs wait; other actors of the host go on until the host's budget is spent."""
    clock = Clock()
    limiter = InboxLimiter(2, 3, clock=clock)
    assert limiter.check("https://a.example/users/x#main-key", "a.example") is None
    assert limiter.check("https://a.example/users/x#other", "a.example") is None
    assert limiter.check("https://a.example/users/x#main-key", "a.example") == 30
    assert limiter.check("https://a.example/users/y#main-key", "a.example") is None
    assert limiter.check("https://a.example/users/z#main-key", "a.example") == 20
    assert limiter.check("https://b.example/users/x#main-key", "b.example") is None
    clock.t += 30
    assert limiter.check("https://a.example/users/x#main-key", "a.example") is None


def test_idle_buckets_are_dropped_past_max_keys() -> None:
    """Memory stays bounded: a full (idle) bucket is forgotten when a new key needs room."""
    clock = Clock()
    buckets = TokenBuckets(5, clock=clock, max_keys=2)
    buckets.wait("a", clock())
    buckets.wait("b", clock())
    buckets.wait("c", clock())
    assert len(buckets.buckets) <= 2 and "c" in buckets.buckets


async def test_inbox_answers_429_with_retry_after_and_recovers(database_url: str, tmp_path: Path) -> None:
    """Over the per-actor limit the inbox answers 429 + Retry-After (charged once the signature is verified); later it accepts again."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        clock = Clock()
        hub.fed.inbox_limiter = InboxLimiter(2, 100, clock=clock)
        spammer = hub.world.person("spammer")
        statuses = []
        for n in range(3):
            like = {"id": f"{spammer.id}/likes/{n}", "type": "Like", "actor": spammer.id, "object": GROUP}
            statuses.append(await hub.signed_post(hub.inbox(), like, spammer))
        assert [r.status_code for r in statuses] == [202, 202, 429]
        assert statuses[2].headers["retry-after"] == "30"
        assert await InboxItem.filter(activity_uri=f"{spammer.id}/likes/2").count() == 0
        clock.t += 31
        like = {"id": f"{spammer.id}/likes/3", "type": "Like", "actor": spammer.id, "object": GROUP}
        assert (await hub.signed_post(hub.inbox(), like, spammer)).status_code == 202


async def test_limits_come_from_settings(database_url: str, tmp_path: Path) -> None:
    """HUB_INBOX_RATE_PER_ACTOR / _PER_HOST set the limiter of the running app."""
    async with running_hub(database_url, tmp_path, HUB_INBOX_RATE_PER_ACTOR="7", HUB_INBOX_RATE_PER_HOST="9") as hub:
        assert (hub.fed.inbox_limiter.actors.limit, hub.fed.inbox_limiter.hosts.limit) == (7, 9)


async def test_instance_domain_block_refuses_subdomains_at_the_door(database_url: str, tmp_path: Path) -> None:
    """A blocked domain's subdomain gets 403 and nothing is stored."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        await moderation.block_domain("spam.test", reason="spam")
        bot = hub.world.person("bot", "m.spam.test")
        response = await hub.signed_post(hub.inbox(), {"id": f"{bot.id}/f/1", "type": "Follow", "actor": bot.id, "object": GROUP}, bot)
        assert response.status_code == 403
        assert await InboxItem.all().count() == 0


async def test_activity_accepted_before_a_block_is_dropped_by_the_worker(database_url: str, tmp_path: Path) -> None:
    """A block made between the 202 and the processing wins: the stored activity is ignored, nothing is posted."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        ana = hub.world.person("ana", "late.test")
        await hub.member(ana)
        note = create(ana, f"{ana.id}/notes/1", to=[PUBLIC], cc=[GROUP])
        assert (await hub.signed_post(hub.inbox(), note, ana)).status_code == 202
        await moderation.block_domain("late.test", reason="raid")
        await hub.drain()
        item = await hub.inbox_item(note["id"])
        assert (item.state, item.last_error) == ("ignored", "the instance blocks the sender's domain")
        assert await Post.all().count() == 0


async def test_blocked_domain_gets_403_on_signed_fetches_under_authorized_fetch(database_url: str, tmp_path: Path) -> None:
    """With HUB_AUTHORIZED_FETCH a blocked server's signed GET of the group is refused (403), others get it."""
    async with running_hub(database_url, tmp_path, HUB_AUTHORIZED_FETCH="true") as hub:
        await hub.group()
        await moderation.block_domain("spam.test")
        assert (await signed_get(hub, "/groups/climate", hub.world.person("bot", "spam.test"))).status_code == 403
        assert (await signed_get(hub, "/groups/climate", hub.world.person("ann", "fine.test"))).status_code == 200


# --- reports -------------------------------------------------------------------------------------


async def test_flags_land_in_the_right_queue(database_url: str, tmp_path: Path) -> None:
    """Mastodon's Flag about a member's post → the group's queue; Lemmy's addressed to the group too;
    a Flag of the group itself → the instance queue; a Flag about unknown things is ignored."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        alice = hub.world.person("alice")
        await hub.member(alice)
        note = f"{alice.id}/statuses/1"
        await hub.signed_post(hub.inbox(), create(alice, note, to=[PUBLIC], cc=[GROUP]), alice)
        await hub.drain()
        mastodon = hub.world.actor("https://masto.test/actor", actor_type="Application")
        lemmy = hub.world.person("bob", "lemmy.test")
        flags = [
            ({"id": "https://masto.test/flags/1", "type": "Flag", "actor": mastodon.id, "content": "Please look at this",
              "object": [alice.id, note], "to": alice.id}, mastodon),
            ({"id": "https://lemmy.test/activities/flag/2", "type": "Flag", "actor": lemmy.id, "to": [GROUP],
              "audience": GROUP, "object": "https://elsewhere.test/post/7", "summary": "report this post"}, lemmy),
            ({"id": "https://masto.test/flags/3", "type": "Flag", "actor": mastodon.id, "object": [GROUP], "content": "a hate group"}, mastodon),
            ({"id": "https://masto.test/flags/4", "type": "Flag", "actor": mastodon.id, "object": ["https://nowhere.test/users/x"]}, mastodon),
        ]
        for flag, actor in flags:
            assert (await hub.signed_post(hub.inbox(), flag, actor)).status_code == 202
        await hub.drain()
        group = await Group.get(slug="climate")
        queue = await moderation.list_reports(group)
        assert sorted(r.flag_uri for r in queue) == ["https://lemmy.test/activities/flag/2", "https://masto.test/flags/1"]
        first = next(r for r in queue if r.flag_uri.endswith("/1"))
        assert (first.target_uri, first.object_uris, first.comment) == (alice.id, [note], "Please look at this")
        assert [r.target_uri for r in await moderation.list_reports(instance_only=True)] == [GROUP]
        ignored = await InboxItem.get(activity_uri="https://masto.test/flags/4")
        assert (ignored.state, ignored.last_error) == ("ignored", "Flag about nothing this hub knows")


async def test_forwarded_report_is_a_flag_from_the_instance_actor(database_url: str, tmp_path: Path) -> None:
    """report.forwarded sends a Flag signed by the instance actor to the reported account's inbox."""
    async with running_hub(database_url, tmp_path) as hub:
        troll = hub.world.person("troll", "far.test")
        from_hub = await _remote(hub, troll)
        await moderation.forward_report(reporter_uri=hub.fed.urls.instance_actor, target_uri=from_hub.uri,
                                        object_uris=["https://far.test/notes/1"], comment="threats")
        await hub.drain()
        ((inbox, flag),) = delivered(hub, "Flag")
        assert inbox == troll.inbox
        assert (flag["actor"], flag["object"], flag["content"]) == (hub.fed.urls.instance_actor, [troll.id, "https://far.test/notes/1"], "threats")
        request = next(r for r in hub.world.requests if r.method == "POST" and str(r.url) == troll.inbox)
        assert hub.fed.urls.instance_key in request.headers["signature"]
        assert (await Report.get()).flag_uri == flag["id"]


async def _remote(hub: Hub, actor: FakeActor) -> Account:
    """The account of a world actor, fetched as the hub fetches actors."""
    return await account_for(hub.fed, actor.id)


# --- bans, roles and removals --------------------------------------------------------------------


async def test_ban_sends_block_and_reject_and_announces_to_group_aware_members(database_url: str, tmp_path: Path) -> None:
    """A ban: Block{group, member, target group} + Reject at the member's inbox; Announce{Block} to Lemmy members; unban: Undo."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        troll, lemmy_member = hub.world.person("troll", "masto.test"), hub.world.person("bea", "lemmy.test")
        await hub.member(troll)
        await hub.member(lemmy_member)
        await software(lemmy_member, "lemmy")
        await hub.drain()
        account = await Account.get(uri=troll.id)
        await moderation.ban(group, account, reason="harassment")
        await hub.drain()
        ((inbox, block),) = delivered(hub, "Block")
        assert inbox == troll.inbox
        assert (block["actor"], block["object"], block["target"], block["summary"]) == (GROUP, troll.id, GROUP, "harassment")
        assert delivered(hub, "Reject", to=troll.inbox)
        ((announce_inbox, announce),) = [(u, b) for u, b in delivered(hub, "Announce") if b["object"].get("type") == "Block"]
        assert announce_inbox == "https://lemmy.test/inbox" and announce["object"]["id"] == block["id"]
        # The banned account's next post is refused with a Reject
        hub.world.deliveries.clear()
        await hub.signed_post(hub.inbox(), create(troll, f"{troll.id}/statuses/9", to=[PUBLIC], cc=[GROUP]), troll)
        await hub.drain()
        assert not await Post.filter(uri=f"{troll.id}/statuses/9").exists()
        assert [b["object"] for _, b in delivered(hub, "Reject", to=troll.inbox)] == [f"{troll.id}/statuses/9/activity"]
        # Unban: Undo{Block}
        await moderation.unban(group, account)
        await hub.drain()
        ((_, undo),) = delivered(hub, "Undo", to=troll.inbox)
        assert undo["object"]["type"] == "Block" and undo["object"]["id"] == block["id"]


async def test_new_moderator_is_added_to_the_moderators_collection(database_url: str, tmp_path: Path) -> None:
    """member -> moderator: Announce{Add{member, target moderators}} to group-aware members; the collection lists them."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        bea = hub.world.person("bea", "lemmy.test")
        await hub.member(bea)
        await software(bea, "lemmy")
        await hub.drain()
        await moderation.set_role(group, await Account.get(uri=bea.id), "moderator")
        await hub.drain()
        ((_, announce),) = delivered(hub, "Announce")
        assert announce["object"]["type"] == "Add"
        assert (announce["object"]["object"], announce["object"]["target"]) == (bea.id, f"{GROUP}/moderators")
        collection = (await hub.get("/groups/climate/moderators")).json()
        assert collection["orderedItems"] == [bea.id]
        await moderation.set_role(group, await Account.get(uri=bea.id), "member")
        await hub.drain()
        assert [b["object"]["type"] for _, b in delivered(hub, "Announce")] == ["Add", "Remove"]


async def test_removed_post_is_retracted_in_both_forms(database_url: str, tmp_path: Path) -> None:
    """A removed post: Undo of the boost to Mastodon, Announce{Delete by the group} to Lemmy; gone from pages."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        alice, bea = hub.world.person("alice", "masto.test"), hub.world.person("bea", "lemmy.test")
        await hub.member(alice)
        await hub.member(bea)
        await software(bea, "lemmy")
        note = f"{alice.id}/statuses/1"
        await hub.signed_post(hub.inbox(), create(alice, note, to=[PUBLIC], cc=[GROUP], text="spam spam"), alice)
        await hub.drain()
        post = await Post.get(uri=note)
        assert "spam spam" in (await hub.get("/groups/climate")).text
        hub.world.deliveries.clear()
        await moderation.remove_post(post, reason="spam")
        await hub.drain()
        ((undo_inbox, undo),) = delivered(hub, "Undo")
        assert undo_inbox == "https://masto.test/inbox" and undo["object"]["object"] == note
        ((announce_inbox, announce),) = delivered(hub, "Announce")
        assert announce_inbox == "https://lemmy.test/inbox"
        assert (announce["object"]["type"], announce["object"]["actor"], announce["object"]["object"], announce["object"]["summary"]) == (
            "Delete", GROUP, note, "spam")
        assert "spam spam" not in (await hub.get("/groups/climate")).text
        assert (await hub.get(f"/posts/{post.id}")).status_code == 404


# --- members-only posts --------------------------------------------------------------------------


async def test_members_only_post_goes_only_to_members_personal_inboxes(database_url: str, tmp_path: Path) -> None:
    """A private group's post: the group's own Note to members' personal inboxes (shared only when safe), never public."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group("circle", visibility="private", join_policy="approval")
        alice, carol = hub.world.person("alice", "masto.test"), hub.world.person("carol", "masto.test")
        dora = hub.world.person("dora", "safe.test")
        bea = hub.world.person("bea", "friendica.test")
        leaky = hub.world.person("lou", "lemmy.test")
        for member in (alice, dora, bea, leaky):
            await hub.member(member, "circle")
        await software(bea, "friendica")
        await software(leaky, "lemmy")
        group = await Group.get(slug="circle")
        await members.request_join(group, await _remote(hub, carol), follow_uri=f"{carol.id}/follows/1")  # pending
        await hub.drain()
        hub.world.deliveries.clear()
        circle = f"{HUB_BASE}/groups/circle"
        note = f"{alice.id}/statuses/5"
        response = await hub.signed_post(hub.inbox("circle"), create(alice, note, to=[f"{alice.id}/followers"], cc=[circle], text="secret plan"), alice)
        assert response.status_code == 202
        await hub.drain()
        post = await Post.get(uri=note)
        assert post.visibility == "members"
        carrying = [(u, b) for u, b in hub.world.deliveries if "secret plan" in json.dumps(b)]
        inboxes = sorted(u for u, _ in carrying)
        # masto.test has a pending account: personal inbox; safe.test is all members: shared; lemmy (leaky): nothing
        assert inboxes == sorted([alice.inbox, "https://safe.test/inbox", "https://friendica.test/inbox"])
        creates = {u: b for u, b in carrying if b["type"] == "Create"}
        group_note = creates[alice.inbox]["object"]
        assert group_note["id"] == f"{circle}/posts/{post.id}" and group_note["attributedTo"] == circle
        assert group_note["to"] == [f"{circle}/followers"] and group_note["cc"] == []
        assert alice.id in group_note["content"] or "alice" in group_note["content"]
        for _, body in carrying:
            assert PUBLIC not in json.dumps(body)
        friendica = [b for u, b in carrying if u == "https://friendica.test/inbox"][0]
        assert friendica["type"] == "Announce" and friendica["object"]["type"] == "Create"
        # Never on pages, feeds, outbox or featured
        for path in ("/", "/groups/circle", f"/posts/{post.id}", "/groups/circle/feed.rss", "/groups/circle/feed.atom",
                     "/groups/circle/outbox?page=true", "/groups/circle/featured"):
            assert "secret plan" not in (await hub.get(path)).text, path
        # GET of the Note: unsigned 401, non-member 404, member 200, a member's server actor 200, a leaky server 404
        path = f"/groups/circle/posts/{post.id}"
        assert (await signed_get(hub, path, None)).status_code == 401
        assert (await signed_get(hub, path, carol)).status_code == 404
        assert (await signed_get(hub, path, hub.world.person("eve", "other.test"))).status_code == 404
        ok = await signed_get(hub, path, alice)
        assert ok.status_code == 200 and "secret plan" in ok.text
        server = hub.world.actor("https://safe.test/actor", actor_type="Application")
        assert (await signed_get(hub, path, server)).status_code == 200
        lemmy_server = hub.world.actor("https://lemmy.test/actor", actor_type="Application")
        assert (await signed_get(hub, path, lemmy_server)).status_code == 404
        assert (await signed_get(hub, "/groups/circle/posts/999999", None)).status_code == 401
        # Removal: a Delete of the group's Note to the same inboxes
        hub.world.deliveries.clear()
        await moderation.remove_post(post, reason="too much")
        await hub.drain()
        assert sorted(u for u, b in hub.world.deliveries if json.dumps(b).count(f"/posts/{post.id}")) == inboxes
        assert (await signed_get(hub, path, alice)).status_code == 404


async def test_follow_of_a_closed_group_from_leaky_software_is_rejected(database_url: str, tmp_path: Path) -> None:
    """HUB_REFUSE_LEAKY_SOFTWARE: a Lemmy account's follow of a closed group gets a Reject; an open group takes it."""
    async with running_hub(database_url, tmp_path) as hub:
        hub.world.software_of["lemmy.test"] = "lemmy"
        await hub.group("circle", join_policy="approval")
        await hub.group("open")
        lou = hub.world.person("lou", "lemmy.test")
        for slug in ("circle", "open"):
            follow = {"id": f"{lou.id}/follows/{slug}", "type": "Follow", "actor": lou.id, "object": f"{HUB_BASE}/groups/{slug}"}
            assert (await hub.signed_post(hub.inbox(slug), follow, lou)).status_code == 202
        await hub.drain()
        item = await InboxItem.get(activity_uri=f"{lou.id}/follows/circle")
        assert item.last_error.startswith("join refused: lemmy shows followers-only posts")
        states = {m.group.slug: m.state for m in await Membership.filter(account__uri=lou.id).prefetch_related("group")}
        assert states == {"circle": "rejected", "open": "accepted"}
        assert [b["object"]["id"] for _, b in delivered(hub, "Reject", to=lou.inbox)] == [f"{lou.id}/follows/circle"]


# --- retractions by a followed group -------------------------------------------------------------


async def _relay_scene(hub: Hub) -> tuple[FakeActor, FakeActor, str, Post]:
    """Our group relays the remote group ``berlin``; one post by zoe was relayed from it."""
    group = await hub.group()
    berlin = hub.world.actor("https://other.test/groups/berlin", actor_type="Group")
    zoe = hub.world.person("zoe", "third.test")
    source = await _remote(hub, berlin)
    await GroupFollow.create(group=group, target=source, follow_uri=f"{GROUP}/activities/follow/1", state="accepted", relay=True)
    note = f"{zoe.id}/statuses/1"
    author = await _remote(hub, zoe)
    draft = posts.PostDraft(uri=note, activity_uri=None, object_type="Note", content_html="<p>relayed words</p>",
                            visibility="public", published_at=now(), activity_json="{}")
    relayed = (await posts.relay(group, source, author, draft)).post
    return berlin, zoe, note, relayed


async def test_followed_groups_removal_drops_our_relayed_copy(database_url: str, tmp_path: Path) -> None:
    """Announce{Delete by the group} removes the copy relayed from that group; someone else's Announce does not."""
    async with running_hub(database_url, tmp_path) as hub:
        berlin, zoe, note, relayed = await _relay_scene(hub)
        assert "relayed words" in (await hub.get("/groups/climate")).text
        intruder = hub.world.actor("https://evil.test/groups/x", actor_type="Group")
        fake = {"id": "https://evil.test/a/1", "type": "Announce", "actor": intruder.id,
                "object": {"id": "https://evil.test/d/1", "type": "Delete", "actor": intruder.id, "object": note}}
        await hub.signed_post(hub.inbox(), fake, intruder)
        await hub.drain()
        assert (await Post.get(id=relayed.id)).state == "published"
        removal = {"id": "https://other.test/a/2", "type": "Announce", "actor": berlin.id, "to": [PUBLIC],
                   "object": {"id": "https://other.test/d/2", "type": "Delete", "actor": berlin.id, "object": note, "summary": "spam"}}
        assert (await hub.signed_post(hub.inbox(), removal, berlin)).status_code == 202
        await hub.drain()
        assert (await Post.get(id=relayed.id)).state == "removed"
        assert "relayed words" not in (await hub.get("/groups/climate")).text


async def test_undo_of_a_followed_groups_announce_drops_our_copy(database_url: str, tmp_path: Path) -> None:
    """The microblog form of a retraction (Undo{Announce}) removes the relayed copy too."""
    async with running_hub(database_url, tmp_path) as hub:
        berlin, zoe, note, relayed = await _relay_scene(hub)
        undo = {"id": "https://other.test/u/1", "type": "Undo", "actor": berlin.id,
                "object": {"id": "https://other.test/groups/berlin/activities/announce/1", "type": "Announce", "actor": berlin.id, "object": note}}
        assert (await hub.signed_post(hub.inbox(), undo, berlin)).status_code == 202
        await hub.drain()
        assert (await Post.get(id=relayed.id)).state == "removed"


async def test_relayed_author_delete_counts_once_the_origin_confirms(database_url: str, tmp_path: Path) -> None:
    """Announce{Delete by the author}: the post is deleted here only if its own server says it is gone."""
    async with running_hub(database_url, tmp_path) as hub:
        berlin, zoe, note, relayed = await _relay_scene(hub)
        hub.world.serve({"id": note, "type": "Note", "attributedTo": zoe.id, "content": "still here"})
        wrapped = {"id": "https://other.test/a/3", "type": "Announce", "actor": berlin.id,
                   "object": {"id": f"{note}#delete", "type": "Delete", "actor": zoe.id, "object": note}}
        await hub.signed_post(hub.inbox(), wrapped, berlin)
        await hub.drain()
        assert (await Post.get(id=relayed.id)).state == "published"
        hub.world.respond(note, 410)
        await hub.signed_post(hub.inbox(), {**wrapped, "id": "https://other.test/a/4"}, berlin)
        await hub.drain()
        assert (await Post.get(id=relayed.id)).state == "deleted"


async def test_block_of_a_local_group_ends_the_membership(database_url: str, tmp_path: Path) -> None:
    """A member who blocks the group leaves it (Mastodon unfollows on block)."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group()
        alice = hub.world.person("alice")
        await hub.member(alice)
        block = {"id": f"{alice.id}/blocks/1", "type": "Block", "actor": alice.id, "object": GROUP}
        await hub.signed_post(hub.inbox(), block, alice)
        await hub.drain()
        assert (await Membership.get(account__uri=alice.id)).state == "left"
