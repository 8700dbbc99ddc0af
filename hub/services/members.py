"""Joining, approving, leaving, removing and banning: the membership lifecycle of hub.lifecycle.MEMBERSHIP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from hub import rows
from hub.clock import now
from hub.errors import InvalidInput, NotFound, PermissionDenied
from hub.lifecycle import MEMBERSHIP
from hub.models import Account, Group, Membership, Peer, RemoteActor
from hub.services import blocks, events, moderation_log

ROLES = ("owner", "admin", "moderator", "member", "partner")
ORGANISER_ROLES = ("owner", "admin")
MODERATOR_ROLES = ("owner", "admin", "moderator")
RANK = {"owner": 4, "admin": 3, "moderator": 2, "member": 1, "partner": 1}
"""How roles compare: a moderator acts only on people of a lower rank (owners on everyone but owners)."""


@dataclass(frozen=True)
class JoinDecision:
    """The outcome of a join request: ``accepted``, ``pending`` or ``rejected``."""

    membership: Membership
    outcome: str


def normalise_handle(handle: str) -> str:
    """``@name@host`` or ``name@host`` -> ``name@host`` (host lower-cased); InvalidInput otherwise."""
    value = (handle or "").strip().removeprefix("@")
    name, sep, host = value.partition("@")
    if not sep or not name or not host or "@" in host or "/" in host or " " in value:
        raise InvalidInput(f"{handle!r} is not a handle: write it as @name@server.example")
    return f"{name}@{host.lower()}"


async def find_account(handle_or_uri: str) -> Account:
    """The known account with this handle or actor URI, or NotFound."""
    if "://" in handle_or_uri:
        account = await Account.get_or_none(uri=handle_or_uri)
    else:
        account = await Account.get_or_none(handle=normalise_handle(handle_or_uri))
    if account is None:
        raise NotFound(f"no account {handle_or_uri!r} is known to this hub")
    return account


async def membership_of(group: Group, account: Account) -> Membership | None:
    """The membership row of this account in this group, if any."""
    return await Membership.get_or_none(group=group, account=account)


async def is_member(group: Group, account: Account) -> bool:
    """Whether the account is an accepted member (asked on every signed-in page: one statement, hub.rows)."""
    return bool(await rows.select(_IS_MEMBER, [group.id, account.id]))


_IS_MEMBER = "SELECT 1 FROM memberships WHERE group_id = ? AND account_id = ? AND state = 'accepted' LIMIT 1"


async def request_join(group: Group, account: Account, *, follow_uri: str | None, pre_approved: bool = False) -> JoinDecision:
    """A follow of the group: accepted when open (or pre-approved), pending when closed, rejected when banned."""
    async with in_transaction():
        membership = await Membership.get_or_none(group=group, account=account)
        if membership is not None and membership.state == "banned" and membership.banned_until is not None \
                and membership.banned_until <= now():
            await lift_ban(membership, group, by=None, reason="the ban ended")
        refused = membership is not None and membership.state == "banned"
        if not refused and await blocks.group_blocked(group, account.uri):
            refused = True
            if membership is None:
                membership = await Membership.create(group=group, account=account, state="pending")
            if MEMBERSHIP.can(membership.state, "rejected"):
                membership.state, membership.reason = "rejected", "the group blocks this domain"
                await membership.save(update_fields=["state", "reason", "updated_at"])
        if refused:
            membership.follow_uri = follow_uri
            await membership.save(update_fields=["follow_uri", "updated_at"])
            await events.record("membership.rejected", group, membership_id=membership.id, follow_uri=follow_uri)
            return JoinDecision(membership, "rejected")
        target = "accepted" if (group.join_policy == "open" or pre_approved) else "pending"
        if membership is None:
            membership = await Membership.create(group=group, account=account, state=target, follow_uri=follow_uri)
        else:
            if membership.state == "accepted":
                target = "accepted"
            elif membership.state != target:
                MEMBERSHIP.check(membership.state, target)
            membership.state = target
            membership.follow_uri = follow_uri or membership.follow_uri
            await membership.save(update_fields=["state", "follow_uri", "updated_at"])
        kind = "membership.accepted" if target == "accepted" else "membership.requested"
        await events.record(kind, group, membership_id=membership.id, follow_uri=follow_uri)
        return JoinDecision(membership, target)


async def require_role(group: Group, actor: Account | None, roles: tuple[str, ...] = ORGANISER_ROLES) -> None:
    """Raise PermissionDenied unless ``actor`` is an instance admin or holds one of ``roles`` (None = the CLI)."""
    if actor is None or actor.is_admin:
        return
    ok = await Membership.filter(group=group, account=actor, state="accepted", role__in=list(roles)).exists()
    if not ok:
        raise PermissionDenied(f"only the group's {' or '.join(roles)} may do this")


async def _move(
    group: Group, account: Account, target: str, kind: str, *, by: Account | None, reason: str | None,
    log: str | None = None, until: datetime | None = None,
) -> Membership:
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is None:
        raise NotFound(f"{account.handle or account.uri} has not asked to join {group.slug}")
    async with in_transaction():
        MEMBERSHIP.check(membership.state, target)
        membership.state = target
        membership.reason = reason
        membership.banned_until = until if target == "banned" else None
        await membership.save(update_fields=["state", "reason", "banned_until", "updated_at"])
        await events.record(
            kind, group, membership_id=membership.id, follow_uri=membership.follow_uri,
            reason=reason, by=by.uri if by else None,
        )
        if log is not None:
            await moderation_log.record(log, account.uri, group=group, by=by, reason=reason, expires_at=until)
    return membership


async def approve(group: Group, account: Account, *, by: Account | None = None) -> Membership:
    """Accept a pending join request."""
    await require_role(group, by, ORGANISER_ROLES)
    return await _move(group, account, "accepted", "membership.accepted", by=by, reason=None, log="approve")


async def reject(group: Group, account: Account, *, by: Account | None = None, reason: str | None = None) -> Membership:
    """Turn down a pending join request."""
    await require_role(group, by, ORGANISER_ROLES)
    return await _move(group, account, "rejected", "membership.rejected", by=by, reason=reason, log="reject")


async def require_outranks(group: Group, by: Account | None, membership: Membership | None) -> None:
    """Raise PermissionDenied unless ``by`` ranks above the member (instance admins and the CLI always do)."""
    if by is None or by.is_admin or membership is None:
        return
    mine = await Membership.get_or_none(group=group, account=by, state="accepted")
    if mine is None or RANK.get(mine.role, 0) <= RANK.get(membership.role, 0):
        raise PermissionDenied(f"only someone above a {membership.role} in {group.slug} may do this")


async def lift_ban(membership: Membership, group: Group, *, by: Account | None, reason: str | None) -> Membership:
    """End a ban (banned -> left): the account may ask to join again; event ``membership.unbanned``.

    The row changes only if it is still banned, so two workers expiring the same ban (or a moderator
    lifting it meanwhile) federate one Undo, not two.
    """
    async with in_transaction():
        MEMBERSHIP.check(membership.state, "left")
        moment = now()
        lifted = await Membership.filter(id=membership.id, state="banned").update(
            state="left", banned_until=None, reason=reason, updated_at=moment
        )
        if not lifted:
            await membership.refresh_from_db()
            return membership
        membership.state, membership.banned_until, membership.reason, membership.updated_at = "left", None, reason, moment
        await events.record("membership.unbanned", group, membership_id=membership.id, reason=reason, by=by.uri if by else None)
        account = await Account.get(id=membership.account_id)
        await moderation_log.record("unban", account.uri, group=group, by=by, reason=reason)
    return membership


async def leave(group: Group, account: Account) -> Membership | None:
    """The member left (Undo Follow); a no-op for someone who is not a member or is banned."""
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is None or membership.state not in ("accepted", "pending"):
        return membership
    return await _move(group, account, "left", "membership.left", by=account, reason=None)


async def leave_here(group: Group, account: Account) -> Membership:
    """The member leaves (or withdraws a join request) from their page on the hub: event ``membership.quit``,
    on which the group Rejects their Follow, which ends the follow on their server as a removal does.

    NotFound when they are not a member or asking to join; PermissionDenied for the group's owner.
    """
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is None or membership.state not in ("accepted", "pending"):
        raise NotFound(f"you are not a member of {group.slug} (you may have left already)")
    if membership.role == "owner":
        raise PermissionDenied("the owner cannot leave the group: make someone else owner first, or delete the group")
    return await _move(group, account, "left", "membership.quit", by=account, reason=None)


async def remove(
    group: Group, account: Account, *, ban: bool = False, reason: str | None = None, by: Account | None = None,
    until: datetime | None = None,
) -> Membership:
    """Remove a member, or ban them (a banned account's next follow is rejected) until ``until`` or for good.

    Moderators act only on members below their own role; the owner is never removed. Logged as
    ``remove_member`` or ``ban`` in the moderation log.
    """
    await require_role(group, by, MODERATOR_ROLES)
    if until is not None and (not ban or until <= now()):
        raise InvalidInput("an end time is for bans only, and must be in the future")
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is not None and membership.role == "owner":
        raise PermissionDenied("the owner cannot be removed; transfer ownership first")
    await require_outranks(group, by, membership)
    if ban and membership is None:
        async with in_transaction():
            membership = await Membership.create(group=group, account=account, state="banned", reason=reason, banned_until=until)
            await events.record("membership.banned", group, membership_id=membership.id, reason=reason, by=by.uri if by else None)
            await moderation_log.record("ban", account.uri, group=group, by=by, reason=reason, expires_at=until)
        return membership
    if ban and membership.state == "banned":
        async with in_transaction():
            membership.reason, membership.banned_until = reason, until
            await membership.save(update_fields=["reason", "banned_until", "updated_at"])
            await moderation_log.record("ban", account.uri, group=group, by=by, reason=reason, expires_at=until)
        return membership
    return await _move(
        group, account, "banned" if ban else "removed", "membership.banned" if ban else "membership.removed",
        by=by, reason=reason, log="ban" if ban else "remove_member", until=until,
    )


async def mark_gone(account: Account) -> int:
    """The actor is gone (410 or deleted): end every accepted membership; returns how many."""
    return await Membership.filter(account=account, state="accepted").update(state="gone")


async def list_members(group: Group, *, state: str | None = None) -> list[Membership]:
    """Memberships of a group with their accounts, newest first; optionally of one state."""
    query = Membership.filter(group=group).prefetch_related("account").order_by("-id")
    if state is not None:
        query = query.filter(state=state)
    return await query


_REMOTE_MEMBERS = (
    "SELECT r.account_id, r.inbox, r.shared_inbox, r.peer_id, p.host, p.software, p.blocked "
    f"FROM {Membership._meta.db_table} m JOIN {RemoteActor._meta.db_table} r ON r.account_id = m.account_id "
    f"JOIN {Peer._meta.db_table} p ON p.id = r.peer_id "
    "WHERE m.group_id = ? AND m.state = 'accepted' AND r.gone = ?"
)


async def remote_member_inboxes(group_id: int) -> list[tuple[int, str, str | None, int, str, str | None, bool]]:
    """(account id, inbox, shared inbox, peer id, host, software, peer blocked) of the group's accepted remote
    members whose actor is not gone: what a fan-out needs, as plain rows.

    One hand-written query, joined from the group's memberships: for 100,000 members the ORM's join
    (through accounts) and its row conversion took about 2 s (bench/RESULTS.md, fan-out).
    """
    found = await rows.select(_REMOTE_MEMBERS, [group_id, False])
    return [(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6])) for row in found]
