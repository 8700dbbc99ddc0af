"""Invitations: groups to collaborations and people to groups; sent, received, answered, revoked, expiring."""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, NotFound, PermissionDenied
from hub.lifecycle import INVITE
from hub.models import Account, Collaboration, Group, GroupFollow, Invite
from hub.services import collaborations, events
from hub.services.members import ORGANISER_ROLES, require_role

DEFAULT_LIFETIME = timedelta(days=14)


async def _expire_if_due(invite: Invite) -> Invite:
    if invite.state == "pending" and invite.expires_at <= now():
        invite.state = "expired"
        await invite.save(update_fields=["state"])
    return invite


async def send(
    group: Group, counterpart: Account, *, invite_uri: str, object_uri: str, object_name: str,
    collaboration: Collaboration | None = None, message: str | None = None, by: Account | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Invite:
    """Invite a group to a collaboration (``collaboration`` given) or a person to ``group``."""
    await require_role(group, by, ORGANISER_ROLES)
    kind = "collaboration" if collaboration is not None else "membership"
    duplicate = await Invite.filter(
        group=group, counterpart=counterpart, kind=kind, object_uri=object_uri, direction="outgoing", state="pending"
    ).first()
    if duplicate is not None and (await _expire_if_due(duplicate)).state == "pending":
        raise Conflict(f"{counterpart.handle or counterpart.uri} already has a pending invite (#{duplicate.id})")
    async with in_transaction():
        invite = await Invite.create(
            direction="outgoing", kind=kind, group=group, collaboration=collaboration, counterpart=counterpart,
            object_uri=object_uri, object_name=object_name, invite_uri=invite_uri, state="pending",
            message=(message or "")[:2000] or None, created_by=by, expires_at=now() + lifetime,
        )
        await events.record("invite.sent", group, invite_id=invite.id)
    return invite


async def receive(
    group: Group, inviter: Account, *, invite_uri: str, object_uri: str, object_name: str | None,
    message: str | None, lifetime: timedelta = DEFAULT_LIFETIME,
) -> Invite:
    """Record an invite a remote group sent to a local group (idempotent by invite id)."""
    existing = await Invite.get_or_none(invite_uri=invite_uri)
    if existing is not None:
        return existing
    return await Invite.create(
        direction="incoming", kind="collaboration", group=group, counterpart=inviter, object_uri=object_uri,
        object_name=(object_name or "")[:200] or None, invite_uri=invite_uri, state="pending",
        message=(message or "")[:2000] or None, expires_at=now() + lifetime,
    )


async def get(invite_id: int) -> Invite:
    """An invite by id (expired ones are marked so), or NotFound."""
    invite = await Invite.get_or_none(id=invite_id).prefetch_related("group", "counterpart", "collaboration")
    if invite is None:
        raise NotFound(f"no invite #{invite_id}")
    return await _expire_if_due(invite)


async def _move(invite: Invite, target: str, kind: str, by: Account | None) -> Invite:
    await require_role(invite.group, by, ORGANISER_ROLES)
    await _expire_if_due(invite)
    if invite.state != "pending":
        raise Conflict(f"invite #{invite.id} is {invite.state}, not pending")
    async with in_transaction():
        INVITE.check(invite.state, target)
        invite.state = target
        invite.answered_at = now()
        await invite.save(update_fields=["state", "answered_at"])
        await events.record(kind, invite.group, invite_id=invite.id)
    return invite


async def accept(invite: Invite, *, by: Account | None = None) -> Invite:
    """The invited local group accepts an incoming invite (an Accept and a Follow go out)."""
    if invite.direction != "incoming":
        raise PermissionDenied("only the invited group can accept an invite")
    return await _move(invite, "accepted", "invite.accepted", by)


async def reject(invite: Invite, *, by: Account | None = None) -> Invite:
    """The invited local group declines an incoming invite."""
    if invite.direction != "incoming":
        raise PermissionDenied("only the invited group can reject an invite")
    return await _move(invite, "rejected", "invite.rejected", by)


async def revoke(invite: Invite, *, by: Account | None = None) -> Invite:
    """The inviting local group withdraws an unanswered invite (an Undo goes out)."""
    if invite.direction != "outgoing":
        raise PermissionDenied("only the inviting group can revoke an invite")
    return await _move(invite, "revoked", "invite.revoked", by)


async def answered_remotely(invite: Invite, target: str) -> Invite:
    """The counterpart answered (accepted/rejected an outgoing invite, or revoked an incoming one)."""
    await _expire_if_due(invite)
    if invite.state != "pending":
        raise Conflict(f"invite #{invite.id} is {invite.state}")
    INVITE.check(invite.state, target)
    invite.state = target
    invite.answered_at = now()
    await invite.save(update_fields=["state", "answered_at"])
    return invite


async def sent_as_follow(invite: Invite, follow: GroupFollow) -> Invite:
    """No Invite went out (the invited group's software ignores it): ``follow``, the space's follow of the invited
    group, stands in for it. The invite stays pending until that follow is answered (at once when it already was)."""
    invite.follow = follow
    await invite.save(update_fields=["follow_id"])
    if follow.state in ("accepted", "rejected"):
        await answered_by_follow(follow)
    return invite


async def answered_by_follow(follow: GroupFollow) -> list[Invite]:
    """The follow that stood in for invites was accepted or rejected: their pending invites are answered the same way,
    and on accept the invited group is a partner of the collaboration (as far as a group that only is followed is)."""
    if follow.state not in ("accepted", "rejected"):
        return []
    answered = []
    for invite in await Invite.filter(follow=follow, state="pending").prefetch_related("collaboration", "counterpart"):
        if (await _expire_if_due(invite)).state != "pending":
            continue
        async with in_transaction():
            await answered_remotely(invite, follow.state)
            if follow.state == "accepted" and invite.collaboration is not None:
                await collaborations.add_partner(invite.collaboration, invite.counterpart)
        answered.append(invite)
    return answered


async def use_person_invite(group: Group, account: Account) -> bool:
    """Consume a pending person invite of ``account`` to ``group``; True when there was one."""
    for invite in await Invite.filter(group=group, counterpart=account, kind="membership", direction="outgoing", state="pending"):
        if (await _expire_if_due(invite)).state == "pending":
            invite.state = "used"
            invite.answered_at = now()
            await invite.save(update_fields=["state", "answered_at"])
            return True
    return False


async def list_invites(group: Group | None = None) -> list[Invite]:
    """Invites (of one group, or all), newest first, with expired ones marked."""
    query = Invite.all() if group is None else Invite.filter(group=group)
    rows = await query.order_by("-id").prefetch_related("group", "counterpart")
    return [await _expire_if_due(row) for row in rows]
