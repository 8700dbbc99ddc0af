"""Tests for hub.services.moderation: roles, bans, post removal, domain blocks, reports and the moderation log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.models import Account, Delivery, Event, Group, Membership, ModerationAction, Peer, Post, Report
from hub.services import accounts, blocks, members, moderation, posts
from hub.services.groups import create_group

pytestmark = pytest.mark.db


async def account(name: str, host: str = "social.example") -> Account:
    """A remote account ``name@host``."""
    return await accounts.remote_account(f"https://{host}/users/{name}", handle=f"{name}@{host}")


async def member(group: Group, name: str, *, role: str = "member", host: str = "social.example") -> Account:
    """An accepted member with a role."""
    who = await account(name, host)
    decision = await members.request_join(group, who, follow_uri=f"https://{host}/follows/{name}", pre_approved=True)
    if role != "member":
        await Membership.filter(id=decision.membership.id).update(role=role)
    return who


def draft(uri: str, visibility: str = "public") -> posts.PostDraft:
    """A minimal post draft."""
    return posts.PostDraft(uri=uri, activity_uri=f"{uri}/activity", object_type="Note", content_html="<p>hi</p>",
                           visibility=visibility, published_at=now(), activity_json="{}")


async def kinds(group: Group, prefix: str = "") -> list[str]:
    """Event kinds of the group, oldest first, starting with ``prefix``."""
    return [k for k in await Event.filter(group=group).order_by("id").values_list("kind", flat=True) if k.startswith(prefix)]


async def log(group: Group | None) -> list[tuple[str, str, str | None]]:
    """(action, target, reason) of the group's (or the instance's) log, oldest first."""
    query = ModerationAction.filter(group=group) if group else ModerationAction.filter(group_id__isnull=True)
    return [(a.action, a.target, a.reason) for a in await query.order_by("id")]


@pytest.fixture
async def owner(db) -> Account:
    """The group's owner."""
    return await account("owner")


@pytest.fixture
async def group(owner: Account) -> Group:
    """An open group owned by ``owner``."""
    return await create_group("climate", "Climate", owner=owner)


# --- roles ---------------------------------------------------------------------------------------


async def test_owner_appoints_a_moderator_and_the_change_is_an_event_and_a_log_entry(group: Group, owner: Account) -> None:
    """member -> moderator records membership.role (for Add) and a ``role`` log entry naming the change."""
    ann = await member(group, "ann")
    membership = await moderation.set_role(group, ann, "moderator", by=owner, reason="helps a lot")
    assert membership.role == "moderator"
    event = await Event.filter(group=group, kind="membership.role").get()
    assert event.payload == {"membership_id": membership.id, "role": "moderator", "previous": "member", "by": owner.uri}
    assert await log(group) == [("role", ann.uri, "member -> moderator: helps a lot")]


async def test_role_rules(group: Group, owner: Account) -> None:
    """Moderators appoint nobody; admins appoint moderators but not admins; unknown roles and non-members fail."""
    mod, adm, ann = await member(group, "mod", role="moderator"), await member(group, "adm", role="admin"), await member(group, "ann")
    with pytest.raises(PermissionDenied):
        await moderation.set_role(group, ann, "moderator", by=mod)
    await moderation.set_role(group, ann, "moderator", by=adm)
    with pytest.raises(PermissionDenied, match="only the owner appoints admins"):
        await moderation.set_role(group, ann, "admin", by=adm)
    with pytest.raises(InvalidInput):
        await moderation.set_role(group, ann, "emperor", by=owner)
    with pytest.raises(NotFound):
        await moderation.set_role(group, await account("stranger"), "moderator", by=owner)
    with pytest.raises(PermissionDenied, match="owner keeps the owner role"):
        await moderation.set_role(group, owner, "member", by=None)


async def test_handing_over_ownership_makes_the_old_owner_an_admin(group: Group, owner: Account) -> None:
    """Only one owner: the new owner's appointment demotes the previous one to admin."""
    ann = await member(group, "ann")
    await moderation.set_role(group, ann, "owner", by=owner)
    roles = {m.account.uri: m.role for m in await members.list_members(group)}
    assert roles == {owner.uri: "admin", ann.uri: "owner"}


# --- bans ----------------------------------------------------------------------------------------


async def test_ban_with_end_time_and_post_removal(group: Group, owner: Account) -> None:
    """A ban ends the membership, keeps its end time, removes the member's posts, and logs both."""
    ann = await member(group, "ann")
    first = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    until = now() + timedelta(days=7)
    membership = await moderation.ban(group, ann, by=owner, reason="spam", until=until, remove_posts=True)
    assert (membership.state, membership.banned_until) == ("banned", until)
    assert (await Post.get(id=first.id)).state == "removed"
    assert await kinds(group, "membership.banned") == ["membership.banned"]
    assert "post.removed" in await kinds(group, "post.")
    entries = await log(group)
    assert ("ban", ann.uri, "spam") in entries and ("remove_post", first.uri, "spam") in entries
    assert (await ModerationAction.get(action="ban")).expires_at == until
    with pytest.raises(PermissionDenied):
        await posts.submit(group, ann, draft("https://social.example/notes/2"))


async def test_ban_end_time_must_be_in_the_future(group: Group) -> None:
    """An end time in the past is refused."""
    ann = await member(group, "ann")
    with pytest.raises(InvalidInput):
        await moderation.ban(group, ann, until=now() - timedelta(minutes=1))


async def test_moderator_cannot_ban_an_equal_or_higher_role(group: Group) -> None:
    """A moderator bans members, not other moderators or admins."""
    mod, other, adm = await member(group, "mod", role="moderator"), await member(group, "mod2", role="moderator"), await member(group, "adm", role="admin")
    with pytest.raises(PermissionDenied):
        await moderation.ban(group, other, by=mod)
    with pytest.raises(PermissionDenied):
        await moderation.ban(group, adm, by=mod)
    await moderation.ban(group, await member(group, "ann"), by=mod)


async def test_unban_lets_the_account_join_again(group: Group, owner: Account) -> None:
    """Unbanned (banned -> left), the next follow is accepted; membership.unbanned is recorded (Undo Block)."""
    ann = await member(group, "ann")
    await moderation.ban(group, ann, by=owner, reason="heated")
    assert (await members.request_join(group, ann, follow_uri="https://social.example/follows/2")).outcome == "rejected"
    await moderation.unban(group, ann, by=owner, reason="apologised")
    assert "membership.unbanned" in await kinds(group)
    assert (await members.request_join(group, ann, follow_uri="https://social.example/follows/3")).outcome == "accepted"
    assert ("unban", ann.uri, "apologised") in await log(group)
    with pytest.raises(NotFound):
        await moderation.unban(group, ann)


async def test_expired_ban_is_lifted_when_the_account_follows_again(group: Group) -> None:
    """A temporary ban whose end passed no longer refuses the follow."""
    ann = await member(group, "ann")
    await moderation.ban(group, ann, until=now() + timedelta(days=1))
    await Membership.filter(account=ann).update(banned_until=now() - timedelta(seconds=1))
    assert (await members.request_join(group, ann, follow_uri="https://social.example/follows/9")).outcome == "accepted"
    assert ("unban", ann.uri, "the ban ended") in await log(group)


async def test_expire_bans_housekeeping(group: Group) -> None:
    """expire_bans lifts bans whose end passed and keeps the others."""
    ann, bob = await member(group, "ann"), await member(group, "bob")
    await moderation.ban(group, ann, until=now() + timedelta(days=1))
    await moderation.ban(group, bob)
    await Membership.filter(account=ann).update(banned_until=now() - timedelta(seconds=1))
    assert await moderation.expire_bans() == 1
    states = {m.account.uri: m.state for m in await members.list_members(group)}
    assert (states[ann.uri], states[bob.uri]) == ("left", "banned")


async def test_a_ban_is_lifted_once_when_two_workers_expire_it(group: Group) -> None:
    """Two housekeeping passes racing over the same ended ban: one state change, one unbanned event."""
    ann = await member(group, "ann")
    await moderation.ban(group, ann, until=now() + timedelta(days=1))
    await Membership.filter(account=ann).update(banned_until=now() - timedelta(seconds=1))
    stale = await Membership.get(account=ann)
    await moderation.expire_bans()
    again = await members.lift_ban(stale, group, by=None, reason="the ban ended")
    assert again.state == "left"
    assert await Event.filter(kind="membership.unbanned").count() == 1


# --- posts ---------------------------------------------------------------------------------------


async def test_remove_and_restore_a_post_are_logged(group: Group, owner: Account) -> None:
    """Removal and restoration record post.removed / post.published and the log entries with reasons."""
    ann = await member(group, "ann")
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    found = await moderation.find_post(post.uri)
    await moderation.remove_post(found, by=owner, reason="off topic")
    await moderation.restore_post(await moderation.find_post(str(post.id)), by=owner, reason="context added")
    assert (await Post.get(id=post.id)).state == "published"
    assert await log(group) == [("remove_post", post.uri, "off topic"), ("restore_post", post.uri, "context added")]
    assert await kinds(group, "post.") == ["post.published", "post.removed", "post.published"]


async def test_find_post_by_thread_url_and_in_several_groups(group: Group, owner: Account) -> None:
    """…/posts/ID URLs resolve; a uri in two groups needs the group."""
    other = await create_group("housing", "Housing", owner=owner)
    ann = await member(group, "ann")
    await members.request_join(other, ann, follow_uri="https://social.example/follows/x", pre_approved=True)
    post = (await posts.submit(group, ann, draft("https://social.example/notes/1"))).post
    await posts.submit(other, ann, draft("https://social.example/notes/1"))
    assert (await moderation.find_post(f"https://hub.example/groups/climate/posts/{post.id}")).id == post.id
    with pytest.raises(Conflict, match="several groups"):
        await moderation.find_post(post.uri)
    assert (await moderation.find_post(post.uri, group=group)).id == post.id
    with pytest.raises(NotFound):
        await moderation.find_post("https://social.example/notes/404")


async def test_withdrawn_relayed_post_is_removed_here(group: Group) -> None:
    """When the group we relay from withdraws a post, our relayed copy is removed (and announced removed)."""
    source = await account("berlin", "other.example")
    author = await account("zoe", "third.example")
    relayed = await posts.relay(group, source, author, draft("https://third.example/notes/1"))
    rows = await moderation.withdraw_relayed(source, "https://third.example/notes/1", reason="removed by berlin@other.example")
    assert [p.id for p in rows] == [relayed.post.id]
    assert (await Post.get(id=relayed.post.id)).state == "removed"
    assert await moderation.withdraw_relayed(await account("intruder", "evil.example"), "https://third.example/notes/1", reason="x") == []


# --- domain blocks -------------------------------------------------------------------------------


async def test_instance_domain_block_drops_members_silently_and_cancels_deliveries(group: Group) -> None:
    """Members on the domain (and subdomains) leave without events; queued deliveries there are cancelled."""
    spam = await member(group, "spam", host="spam.example")
    sub = await member(group, "sub", host="m.spam.example")
    ok = await member(group, "ok", host="fine.example")
    await Delivery.create(inbox="https://spam.example/inbox", host="spam.example", actor_uri="x", activity_uri="a", body="{}", next_try_at=now())
    before = await Event.all().count()
    dropped = await moderation.block_domain("SPAM.example.", reason="spam wave")
    assert dropped == 2
    states = {m.account.uri: m.state for m in await members.list_members(group)}
    assert (states[spam.uri], states[sub.uri], states[ok.uri]) == ("removed", "removed", "accepted")
    assert await Event.all().count() == before
    assert (await Delivery.get(host="spam.example")).state == "cancelled"
    assert (await Peer.get(host="spam.example")).blocked
    assert await blocks.instance_blocked("https://m.spam.example/users/x")
    assert await log(None) == [("domain_block", "spam.example", "spam wave")]
    await moderation.unblock_domain("spam.example")
    assert not await blocks.instance_blocked("https://spam.example/users/x")


async def test_blocked_domains_copy_follows_local_changes_at_once_and_others_within_max_age(group: Group) -> None:
    """The per-process copy sees this process's block/unblock at once, and a change made elsewhere after max_age."""
    moment = [0.0]
    copy = blocks.BlockedDomains(max_age=2.0, clock=lambda: moment[0])
    assert not await copy.covers("a.spam.example")
    await moderation.block_domain("spam.example")
    assert await copy.covers("a.spam.example", None) and await copy.covers("fine.example", "spam.example")
    assert not await copy.covers("fine.example", "notspam.example")
    await Peer.create(host="other.example", blocked=True)  # as another process would
    assert not await copy.covers("other.example")
    moment[0] = 2.0
    assert await copy.covers("other.example")
    await moderation.unblock_domain("spam.example")
    assert not await copy.covers("a.spam.example")


async def test_group_domain_block_removes_members_with_reject_and_refuses_follows(group: Group, owner: Account) -> None:
    """A group block removes the domain's members (membership.removed → Reject) and refuses later follows and posts."""
    troll = await member(group, "troll", host="trolls.example")
    assert await moderation.block_domain("trolls.example", group=group, by=owner, reason="raids") == 1
    assert "membership.removed" in await kinds(group)
    newcomer = await account("new", "trolls.example")
    assert (await members.request_join(group, newcomer, follow_uri="https://trolls.example/f/1")).outcome == "rejected"
    assert (await Membership.get(account=newcomer)).state == "rejected"
    assert (await Membership.get(account=troll)).state == "removed"
    assert await moderation.domain_blocks(group) == [("trolls.example", "raids")]
    assert await moderation.domain_blocks() == []
    with pytest.raises(PermissionDenied):
        await moderation.block_domain("x.example", group=group, by=await member(group, "mod", role="moderator"))
    with pytest.raises(PermissionDenied):
        await moderation.block_domain("x.example", by=owner)
    with pytest.raises(InvalidInput):
        await moderation.block_domain("not a domain", group=group)


async def test_posts_from_a_blocked_domain_are_not_relayed(group: Group, owner: Account) -> None:
    """A followed group's post by an author on a domain this group blocks is not relayed here."""
    await moderation.block_domain("trolls.example", group=group, by=owner)
    source, author = await account("berlin", "other.example"), await account("troll", "trolls.example")
    assert await posts.relay(group, source, author, draft("https://trolls.example/notes/1")) is None
    assert not await Post.filter(uri="https://trolls.example/notes/1").exists()


# --- reports -------------------------------------------------------------------------------------


async def test_reports_queue_resolve_and_dismiss(group: Group, owner: Account) -> None:
    """A received report is open in its group's queue, once per Flag id; resolving logs without the reporter."""
    report = await moderation.receive_report(
        reporter_uri="https://social.example/actor", group=group, target_uri="https://social.example/users/ann",
        object_uris=["https://social.example/notes/1"] * 3, comment="spam", flag_uri="https://social.example/flags/1",
    )
    again = await moderation.receive_report(reporter_uri="x", group=group, target_uri=None, object_uris=[], flag_uri="https://social.example/flags/1")
    assert again.id == report.id and report.object_uris == ["https://social.example/notes/1"]
    instance = await moderation.receive_report(reporter_uri="https://social.example/actor", group=None, target_uri=None, object_uris=[])
    assert [r.id for r in await moderation.list_reports(group)] == [report.id]
    assert [r.id for r in await moderation.list_reports(instance_only=True)] == [instance.id]
    assert {r.id for r in await moderation.list_reports()} == {report.id, instance.id}
    mod = await member(group, "mod", role="moderator")
    with pytest.raises(PermissionDenied):
        await moderation.resolve_report(instance, by=mod)
    await moderation.resolve_report(report, by=mod, reason="post removed")
    with pytest.raises(Conflict):
        await moderation.dismiss_report(report, by=mod)
    await moderation.dismiss_report(instance)
    assert (await Report.get(id=report.id)).resolved_by_id == mod.id
    assert await moderation.list_reports(group) == []
    assert [r.id for r in await moderation.list_reports(group, state=None)] == [report.id]
    assert all("social.example/actor" not in (a.target + (a.reason or "")) for a in await ModerationAction.all())


async def test_forward_report_records_an_event_for_the_flag(group: Group, owner: Account) -> None:
    """Reporting a remote post queues report.forwarded; only moderators (or admins without a group) may."""
    report = await moderation.forward_report(
        reporter_uri="https://hub.example/actor", target_uri="https://far.example/users/x",
        object_uris=["https://far.example/notes/1"], comment="hate speech", group=group, by=owner,
    )
    assert report.outgoing and report.state == "open"
    event = await Event.get(kind="report.forwarded")
    assert event.payload == {"report_id": report.id}
    assert await moderation.list_reports(group) == []
    assert [r.id for r in await moderation.list_reports(group, outgoing=True)] == [report.id]
    with pytest.raises(PermissionDenied):
        await moderation.forward_report(reporter_uri="x", target_uri="y", object_uris=[], by=owner)


# --- the public log ------------------------------------------------------------------------------


async def test_public_log_hides_reports_and_moderators(group: Group, owner: Account) -> None:
    """The public log lists actions with reasons and times, newest first, but no report handling."""
    ann = await member(group, "ann")
    await moderation.ban(group, ann, by=owner, reason="spam")
    report = await moderation.receive_report(reporter_uri="https://snitch.example/actor", group=group, target_uri=ann.uri, object_uris=[])
    await moderation.resolve_report(report, by=owner)
    entries = await moderation.public_log(group)
    assert [(e.action, e.target, e.reason) for e in entries] == [("ban", ann.uri, "spam")]
    assert not hasattr(entries[0], "moderator")
    full = await moderation.group_log(group)
    assert [a.action for a in full] == ["report_resolved", "ban"] and full[1].moderator.id == owner.id


async def test_requests_finding_the_block_list_stale_share_one_reread(group: Group, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty requests at once after a quiet spell: one query, every one answered from it."""
    import asyncio

    reads: list[int] = []
    real = blocks.BlockedDomains._reread

    async def counted(self, moment, seen):
        reads.append(1)
        return await real(self, moment, seen)

    monkeypatch.setattr(blocks.BlockedDomains, "_reread", counted)
    await moderation.block_domain("spam.example")
    copy = blocks.BlockedDomains()
    answers = await asyncio.gather(*(copy.covers(f"h{n}.spam.example" if n % 2 else "fine.example") for n in range(30)))
    assert reads == [1] and answers == [bool(n % 2) for n in range(30)]
