"""Moves: a local group that moved to another hub, and a member whose account moved to another server.

A group moves in three steps (README "Moving a group to another hub"): ``hub group export`` on the
old hub, ``hub group import`` on the new one (the new group lists the old actor in ``alsoKnownAs``),
then ``hub group move`` on the old hub, which calls :func:`mark_moved` once the federation layer has
checked that the new actor names the old one. From then on the old group's pages redirect to the new
one and the event ``group.moved`` tells members' servers.

A member's account that moved (a ``Move`` the federation layer verified) keeps its place in every
local group: :func:`transfer_memberships` gives the new account the old one's state and role, and
the old account's membership ends (``left``), each change in the group's moderation log.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, Gone, InvalidInput
from hub.lifecycle import MEMBERSHIP
from hub.models import Account, Group, Membership
from hub.services import events, moderation_log

CARRIED = ("accepted", "pending", "banned")
"""Membership states a moved account keeps (a ban follows the person to their new account)."""


async def mark_moved(group: Group, target_uri: str) -> Group:
    """Record that ``group`` now lives at ``target_uri``; event ``group.moved``. Conflict when it moved already."""
    if group.deleted_at is not None:
        raise Gone(f"the group {group.slug} was deleted; a deleted group cannot move")
    if group.moved_to is not None:
        raise Conflict(f"the group {group.slug} moved to {group.moved_to} already")
    if not target_uri.startswith(("https://", "http://")):
        raise InvalidInput(f"{target_uri!r} is not an actor URL (https://…)")
    async with in_transaction():
        group.moved_to, group.moved_at = target_uri, now()
        await group.save(update_fields=["moved_to", "moved_at", "updated_at"])
        await events.record("group.moved", group, target=target_uri)
        await moderation_log.record("group_moved", target_uri, group=group, by=None, reason=None)
    return group


@dataclass(frozen=True)
class Transfer:
    """One group where a moved member's place was carried to the new account."""

    group: Group
    state: str
    role: str


async def transfer_memberships(origin: Account, target: Account) -> list[Transfer]:
    """Give ``target`` the memberships ``origin`` holds in local groups (state and role); ``origin``'s end."""
    done: list[Transfer] = []
    rows = await Membership.filter(account=origin, state__in=list(CARRIED), group__deleted_at__isnull=True,
                                   group__moved_to__isnull=True).prefetch_related("group")
    for old in rows:
        async with in_transaction():
            new = await Membership.get_or_none(group_id=old.group_id, account=target)
            if new is None:
                new = await Membership.create(group_id=old.group_id, account=target, state=old.state, role=old.role,
                                              banned_until=old.banned_until, reason=f"moved from {origin.uri}")
            elif new.state == old.state or MEMBERSHIP.can(new.state, old.state):
                # a decision moderators took on the new account itself (removed, rejected, banned) stands
                if new.state not in ("removed", "rejected", "banned"):
                    new.state, new.role, new.banned_until = old.state, old.role, old.banned_until
                    await new.save(update_fields=["state", "role", "banned_until", "updated_at"])
            if old.state != "banned":
                old.state, old.reason = "left", f"moved to {target.uri}"
                await old.save(update_fields=["state", "reason", "updated_at"])
            await moderation_log.record("member_moved", target.uri, group=old.group, by=None,
                                        reason=f"{origin.uri} moved to {target.uri}")
            await events.record("membership.moved", old.group, membership_id=new.id, origin=origin.uri)
        done.append(Transfer(old.group, new.state, new.role))
    return done
