"""Tests for hub.services.members: the membership lifecycle and the events each step records."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.models import Account, Event, Group, Membership
from hub.services import accounts, events, members
from hub.services.groups import create_group

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("reuse_rsa_key_pair")]


async def account(name: str, **kwargs) -> Account:
    """A remote account named ``name@social.example``."""
    return await accounts.remote_account(f"https://social.example/users/{name}", handle=f"{name}@social.example", **kwargs)


async def kinds(group: Group) -> list[str]:
    """The kinds of the group's events, oldest first, without group.created."""
    return [k for k in await Event.filter(group=group).order_by("id").values_list("kind", flat=True) if k != "group.created"]


async def state_of(group: Group, who: Account) -> str | None:
    """The membership state stored in the database (not a cached object)."""
    row = await Membership.get_or_none(group=group, account=who)
    return row.state if row else None


@pytest.fixture
async def owner(db) -> Account:
    """The owner of the groups below."""
    return await account("owner")


@pytest.fixture
async def open_group(owner: Account) -> Group:
    """An open group: follow = join."""
    return await create_group("open", "Open", owner=owner)


@pytest.fixture
async def closed_group(owner: Account) -> Group:
    """A closed group: organisers approve each join."""
    return await create_group("closed", "Closed", closed=True, owner=owner)


async def test_join_open_group_is_accepted_at_once(open_group: Group) -> None:
    """A follow of an open group makes an accepted member and records membership.accepted with the Follow id."""
    ann = await account("ann")
    decision = await members.request_join(open_group, ann, follow_uri="https://social.example/follows/1")
    assert decision.outcome == "accepted"
    assert await state_of(open_group, ann) == "accepted"
    assert await members.is_member(open_group, ann)
    event = await Event.filter(group=open_group, kind="membership.accepted").get()
    assert event.payload == {"membership_id": decision.membership.id, "follow_uri": "https://social.example/follows/1"}


async def test_join_closed_group_waits_for_approval(closed_group: Group, owner: Account) -> None:
    """A follow of a closed group is pending until an organiser approves it."""
    ann = await account("ann")
    decision = await members.request_join(closed_group, ann, follow_uri="https://social.example/follows/1")
    assert decision.outcome == "pending"
    assert not await members.is_member(closed_group, ann)
    await members.approve(closed_group, ann, by=owner)
    assert await state_of(closed_group, ann) == "accepted"
    assert await kinds(closed_group) == ["membership.requested", "membership.accepted"]
    accepted = await Event.get(group=closed_group, kind="membership.accepted")
    assert accepted.payload["by"] == owner.uri
    assert accepted.payload["follow_uri"] == "https://social.example/follows/1"


async def test_pre_approved_join_of_closed_group_is_accepted(closed_group: Group) -> None:
    """An invited (pre-approved) follow of a closed group is accepted at once."""
    decision = await members.request_join(closed_group, await account("ann"), follow_uri=None, pre_approved=True)
    assert decision.outcome == "accepted"


async def test_banned_account_join_is_rejected(open_group: Group, owner: Account) -> None:
    """A banned account's follow is rejected (membership.rejected) and it stays banned."""
    spammer = await account("spammer")
    await members.remove(open_group, spammer, ban=True, reason="spam", by=owner)
    decision = await members.request_join(open_group, spammer, follow_uri="https://social.example/follows/9")
    assert decision.outcome == "rejected"
    assert await state_of(open_group, spammer) == "banned"
    assert await kinds(open_group) == ["membership.banned", "membership.rejected"]
    banned = await Event.get(group=open_group, kind="membership.banned")
    assert (banned.payload["reason"], banned.payload["by"]) == ("spam", owner.uri)


async def test_reject_records_reason(closed_group: Group, owner: Account) -> None:
    """Rejecting a pending request stores the reason and records membership.rejected; the account may ask again."""
    ann = await account("ann")
    await members.request_join(closed_group, ann, follow_uri=None)
    await members.reject(closed_group, ann, by=owner, reason="not local")
    row = await Membership.get(group=closed_group, account=ann)
    assert (row.state, row.reason) == ("rejected", "not local")
    assert (await Event.get(group=closed_group, kind="membership.rejected")).payload["reason"] == "not local"
    assert (await members.request_join(closed_group, ann, follow_uri=None)).outcome == "pending"


async def test_only_organisers_approve_or_reject(closed_group: Group) -> None:
    """A plain member may not approve or reject; the CLI (by=None) and instance admins may."""
    plain = await account("plain")
    await members.request_join(closed_group, plain, follow_uri=None, pre_approved=True)
    ann, bob = await account("ann"), await account("bob")
    await members.request_join(closed_group, ann, follow_uri=None)
    await members.request_join(closed_group, bob, follow_uri=None)
    with pytest.raises(PermissionDenied, match="owner or admin"):
        await members.approve(closed_group, ann, by=plain)
    with pytest.raises(PermissionDenied):
        await members.reject(closed_group, ann, by=plain)
    assert await state_of(closed_group, ann) == "pending"
    admin = await accounts.create_admin("root", "correct horse battery")
    await members.approve(closed_group, ann, by=admin)
    await members.approve(closed_group, bob, by=None)
    assert (await state_of(closed_group, ann), await state_of(closed_group, bob)) == ("accepted", "accepted")


async def test_approve_unknown_or_accepted_is_refused(closed_group: Group, owner: Account) -> None:
    """Approving someone who never asked is NotFound; approving an accepted member is a Conflict."""
    ann = await account("ann")
    with pytest.raises(NotFound, match="ann@social.example has not asked to join closed"):
        await members.approve(closed_group, ann, by=owner)
    await members.request_join(closed_group, ann, follow_uri=None, pre_approved=True)
    with pytest.raises(Conflict, match="membership cannot go from accepted to accepted"):
        await members.approve(closed_group, ann, by=owner)


async def test_leave_and_rejoin(open_group: Group) -> None:
    """Leaving records membership.left; leaving again is a no-op; a new follow of an open group re-accepts."""
    ann = await account("ann")
    await members.request_join(open_group, ann, follow_uri=None)
    await members.leave(open_group, ann)
    assert await state_of(open_group, ann) == "left"
    assert (await members.leave(open_group, ann)).state == "left"
    assert await members.leave(open_group, await account("stranger")) is None
    assert (await members.request_join(open_group, ann, follow_uri=None)).outcome == "accepted"
    assert await kinds(open_group) == ["membership.accepted", "membership.left", "membership.accepted"]
    left = await Event.get(group=open_group, kind="membership.left")
    assert left.payload["by"] == ann.uri


async def test_banned_member_cannot_leave_the_ban(open_group: Group, owner: Account) -> None:
    """leave() of a banned account changes nothing (Undo Follow does not lift a ban)."""
    ann = await account("ann")
    await members.request_join(open_group, ann, follow_uri=None)
    await members.remove(open_group, ann, ban=True, by=owner)
    await members.leave(open_group, ann)
    assert await state_of(open_group, ann) == "banned"


async def test_remove_by_moderator_but_not_by_member(open_group: Group, owner: Account) -> None:
    """Moderators remove members (membership.removed); plain members may not; the owner cannot be removed."""
    ann, mod, plain = await account("ann"), await account("mod"), await account("plain")
    for who in (ann, mod, plain):
        await members.request_join(open_group, who, follow_uri=None)
    await Membership.filter(group=open_group, account=mod).update(role="moderator")
    with pytest.raises(PermissionDenied, match="owner or admin or moderator"):
        await members.remove(open_group, ann, by=plain)
    await members.remove(open_group, ann, by=mod, reason="off topic")
    assert await state_of(open_group, ann) == "removed"
    removed = await Event.get(group=open_group, kind="membership.removed")
    assert (removed.payload["reason"], removed.payload["by"]) == ("off topic", mod.uri)
    with pytest.raises(PermissionDenied, match="owner cannot be removed"):
        await members.remove(open_group, owner, by=None)
    assert await state_of(open_group, owner) == "accepted"


async def test_ban_member(open_group: Group, owner: Account) -> None:
    """Banning an accepted member moves them to banned and records membership.banned."""
    ann = await account("ann")
    await members.request_join(open_group, ann, follow_uri=None)
    await members.remove(open_group, ann, ban=True, reason="abuse", by=owner)
    assert await state_of(open_group, ann) == "banned"
    assert await kinds(open_group) == ["membership.accepted", "membership.banned"]


async def test_state_change_and_event_are_one_transaction(open_group: Group, owner: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    """When recording the event fails, the membership change is rolled back with it."""
    ann, bob = await account("ann"), await account("bob")
    await members.request_join(open_group, ann, follow_uri=None)

    async def failing_record(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(events, "record", failing_record)
    with pytest.raises(RuntimeError):
        await members.remove(open_group, ann, by=owner)
    with pytest.raises(RuntimeError):
        await members.request_join(open_group, bob, follow_uri=None)
    with pytest.raises(RuntimeError):
        await members.remove(open_group, await account("carl"), ban=True, by=owner)
    assert await state_of(open_group, ann) == "accepted"
    assert await state_of(open_group, bob) is None
    assert await Membership.filter(group=open_group).count() == 2  # owner and ann


async def test_mark_gone_ends_accepted_memberships(open_group: Group, closed_group: Group) -> None:
    """A deleted remote actor's accepted memberships become gone; pending ones stay."""
    ann = await account("ann")
    await members.request_join(open_group, ann, follow_uri=None)
    await members.request_join(closed_group, ann, follow_uri=None)
    assert await members.mark_gone(ann) == 1
    assert (await state_of(open_group, ann), await state_of(closed_group, ann)) == ("gone", "pending")


async def test_list_members_by_state(closed_group: Group, owner: Account) -> None:
    """list_members gives memberships newest first with their accounts, optionally of one state."""
    ann, bob = await account("ann"), await account("bob")
    await members.request_join(closed_group, ann, follow_uri=None)
    await members.request_join(closed_group, bob, follow_uri=None)
    pending = await members.list_members(closed_group, state="pending")
    assert [m.account.handle for m in pending] == ["bob@social.example", "ann@social.example"]
    assert len(await members.list_members(closed_group)) == 3


@pytest.mark.parametrize(("given", "expected"), [("@Ann@Social.Example", "Ann@social.example"), ("ann@host:8000", "ann@host:8000")])
def test_normalise_handle(given: str, expected: str) -> None:
    """Handles lose the leading @ and have their host lower-cased."""
    assert members.normalise_handle(given) == expected


@pytest.mark.parametrize("bad", ["", "ann", "@ann", "ann@", "ann@a@b", "ann@host/path", "an n@host"])
def test_bad_handles_say_how_to_write_one(bad: str) -> None:
    """Anything but name@host is InvalidInput showing the expected form."""
    with pytest.raises(InvalidInput, match="@name@server.example"):
        members.normalise_handle(bad)


async def test_find_account_by_handle_or_uri(db) -> None:
    """Known accounts are found by handle or actor URI; unknown ones are NotFound."""
    ann = await account("ann")
    assert (await members.find_account("@ann@SOCIAL.example")).id == ann.id
    assert (await members.find_account(ann.uri)).id == ann.id
    with pytest.raises(NotFound, match="no account"):
        await members.find_account("@nobody@social.example")
