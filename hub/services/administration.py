"""What only the hub's administrators do: appoint and dismiss administrators, create, find and list every
group, and handle dead letters — each change written to the moderation log in its transaction.

``by`` is the acting account (None: the CLI, which is the operator). Domain blocks and the instance
report queue are in hub.services.moderation, relays in hub.services.relays, suspension in
hub.services.suspension and the open creation of groups in hub.services.instance.

Logged actions (instance-level, no group): ``admin_granted``, ``admin_revoked``,
``dead_letters_retried``, ``dead_letter_discarded``; ``group_created`` in the new group's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from hub.errors import Conflict, NotFound
from hub.models import Account, Delivery, Group, ModerationAction
from hub.queue import move_all
from hub.services import groups, members, moderation_log
from hub.services.moderation import require_admin
from hub.services.queue_stats import GroupActor, Retried, held_by, retry_dead, suspended_signers

ADMIN_ACTIONS = frozenset({"group_created", "group_suspended", "group_unsuspended", "group_deleted"})
"""Group-level entries that belong in the administrators' log too (they act on the group as a whole)."""


@dataclass(frozen=True)
class GroupRow:
    """A group as the administrators' list shows it."""

    slug: str
    name: str
    visibility: str
    members: int
    suspended_at: datetime | None
    suspension_reason: str | None
    created_at: datetime


def who(account: Account) -> str:
    """How an account is named to administrators: its user name, handle or actor id."""
    return account.username if account.is_local and account.username else (account.handle or account.uri)


async def find_person(name: str) -> Account:
    """A local account by user name, or a known fediverse account by ``@user@server`` or actor id; NotFound otherwise."""
    name = (name or "").strip()
    if not name:
        raise NotFound("name an account: a local user name or @user@server")
    local = await Account.get_or_none(username=name, is_local=True)
    return local if local is not None else await members.find_account(name)


async def list_admins() -> list[Account]:
    """The hub's administrators, oldest first."""
    return await Account.filter(is_admin=True).order_by("id")


async def grant_admin(name: str, *, by: Account | None) -> Account:
    """Make a known account an administrator; Conflict when it already is one."""
    await require_admin(by)
    account = await find_person(name)
    if account.is_admin:
        raise Conflict(f"{who(account)} is already an administrator")
    async with in_transaction():
        account.is_admin = True
        await account.save(update_fields=["is_admin"])
        await moderation_log.record("admin_granted", account.uri, group=None, by=by)
    return account


async def revoke_admin(account_id: int, *, by: Account | None, reason: str | None = None) -> Account:
    """Take the administrator role from an account; Conflict for the last administrator (the hub keeps one).

    The administrators' rows are locked first (PostgreSQL), so two administrators dismissing each other
    at once cannot leave the hub with none.
    """
    await require_admin(by)
    async with in_transaction():
        admins = await Account.filter(is_admin=True).select_for_update().order_by("id")
        account = next((a for a in admins if a.id == account_id), None)
        if account is None:
            raise NotFound(f"account #{account_id} is not an administrator")
        if len(admins) <= 1:
            raise Conflict("this is the hub's last administrator: make someone else an administrator first")
        account.is_admin = False
        await account.save(update_fields=["is_admin"])
        await moderation_log.record("admin_revoked", account.uri, group=None, by=by, reason=reason)
    return account


async def create_group(slug: str, name: str, *, by: Account | None, owner: Account | None = None, summary: str = "",
                       closed: bool = False) -> Group:
    """Create a group owned by ``owner`` (default: the acting administrator); logged ``group_created``."""
    await require_admin(by)
    owner_account = owner or by
    async with in_transaction():
        group = await groups.create_group(slug, name, summary=summary, closed=closed, owner=owner_account)
        await moderation_log.record("group_created", slug, group=group, by=by,
                                    reason=f"owner {who(owner_account)}" if owner_account else None)
    return group


async def find_group(slug: str) -> Group:
    """A group that is not deleted, suspended or not (NotFound otherwise): what administrators act on."""
    group = await Group.get_or_none(slug=(slug or "").strip().lower(), deleted_at__isnull=True)
    if group is None:
        raise NotFound(f"no group {slug!r} on this hub")
    return group


async def list_groups() -> list[GroupRow]:
    """Every group that is not deleted, suspended ones included, by name, with its accepted members."""
    rows = await Group.filter(deleted_at__isnull=True).order_by("name")
    counts = await groups.member_counts([g.id for g in rows])
    return [GroupRow(g.slug, g.name, g.visibility, counts.get(g.id, 0), g.suspended_at, g.suspension_reason, g.created_at)
            for g in rows]


async def retry_dead_letters(*, by: Account | None, group_actor: GroupActor, delivery_id: int | None = None) -> Retried:
    """Queue one dead letter (or all) again with a fresh schedule; how many, and how many a suspended group holds back
    (``group_actor``: a group's actor URI from its slug). NotFound for an unknown dead letter; Conflict for one signed
    by a suspended group."""
    await require_admin(by)
    async with in_transaction():
        signers = await suspended_signers(group_actor)
        if delivery_id is not None:
            delivery = await Delivery.get_or_none(id=delivery_id, state="dead")
            if delivery is None:
                raise NotFound(f"no dead letter #{delivery_id}: it may have been retried or discarded already")
            holder = held_by(delivery, signers)
            if holder is not None:
                raise Conflict(f"dead letter #{delivery_id} is signed by {holder.name} (@{holder.slug}), which is suspended: "
                               "nothing it signed goes out while the suspension lasts. Discard it, or lift the suspension first")
        retried = await retry_dead(group_actor=group_actor, delivery_id=delivery_id, signers=signers)
        target = f"delivery #{delivery_id}" if delivery_id is not None else "all dead letters"
        held = f", {retried.held} of suspended groups left dead" if retried.held else ""
        await moderation_log.record("dead_letters_retried", target, group=None, by=by, reason=f"{retried.queued} queued again{held}")
    return retried


async def discard_dead_letter(delivery_id: int, *, by: Account | None) -> Delivery:
    """Give up a dead letter for good (it is cancelled and no longer listed); NotFound when there is none."""
    await require_admin(by)
    async with in_transaction():
        delivery = await Delivery.get_or_none(id=delivery_id, state="dead")
        if delivery is None:
            raise NotFound(f"no dead letter #{delivery_id}: it may have been retried or discarded already")
        await move_all(Delivery.filter(id=delivery_id), "dead", "cancelled", last_error="discarded by an administrator")
        await moderation_log.record("dead_letter_discarded", delivery.inbox, group=None, by=by,
                                    reason=f"delivery #{delivery_id} of {delivery.activity_uri}")
    return delivery


async def admin_log(*, limit: int = 100, before_id: int | None = None) -> list[ModerationAction]:
    """The administrators' log, newest first: every instance-level entry and the group entries of :data:`ADMIN_ACTIONS`."""
    return await moderation_log.instance_log(limit=limit, before_id=before_id, including=ADMIN_ACTIONS)
