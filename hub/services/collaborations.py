"""Groups following groups and collaborations: shared Group actors whose members are partner groups."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from hub.errors import Conflict, InvalidInput, NotFound
from hub.lifecycle import GROUP_FOLLOW
from hub.models import Account, Collaboration, Group, GroupFollow, Membership
from hub.services import events
from hub.services.campaigns import normalise_hashtag
from hub.services.groups import check_slug, create_group
from hub.services.members import ORGANISER_ROLES, require_role


async def group_account(group: Group, actor_uri: str, handle: str) -> Account:
    """The account that stands for a local group when it follows or partners with other groups."""
    account, _ = await Account.get_or_create(uri=actor_uri, defaults={"handle": handle, "display_name": group.name})
    return account


def _hashtag(value: str | None) -> str | None:
    """A relay filter: one or more hashtags (separated by spaces or commas), normalised and joined by spaces."""
    tags = list(dict.fromkeys(normalise_hashtag(t) for t in (value or "").replace(",", " ").split()))
    joined = " ".join(tags)
    if len(joined) > 100:
        raise InvalidInput("a relay filter holds at most 100 characters of hashtags")
    return joined or None


async def follow_group(
    group: Group, target: Account, *, follow_uri: str, relay: bool = False, hashtag: str | None = None,
    by: Account | None = None,
) -> GroupFollow:
    """The local group follows another group; a Follow goes out (event ``group_follow.requested``).

    With ``hashtag`` (one or more), only the followed group's posts carrying one (or addressed to this group) are relayed.
    """
    await require_role(group, by, ORGANISER_ROLES)
    if target.uri == follow_uri:
        raise InvalidInput("a group cannot follow itself")
    tag = _hashtag(hashtag)
    async with in_transaction():
        row = await GroupFollow.get_or_none(group=group, target=target)
        if row is None:
            row = await GroupFollow.create(group=group, target=target, follow_uri=follow_uri, relay=relay, hashtag=tag, state="pending")
        else:
            if row.state == "accepted":
                raise Conflict(f"{group.slug} already follows {target.handle or target.uri}")
            GROUP_FOLLOW.check(row.state, "pending")
            row.state, row.follow_uri, row.relay, row.hashtag = "pending", follow_uri, relay, tag
            await row.save()
        await events.record("group_follow.requested", group, group_follow_id=row.id)
    return row


async def follow_answered(follow_uri: str, answerer: Account, *, accepted: bool) -> GroupFollow | None:
    """The followed group accepted or rejected; only that group's answer counts."""
    row = await GroupFollow.get_or_none(follow_uri=follow_uri)
    if row is None or row.target_id != answerer.id:
        return None
    target = "accepted" if accepted else "rejected"
    if row.state == target:
        return row
    GROUP_FOLLOW.check(row.state, target)
    row.state = target
    await row.save(update_fields=["state", "updated_at"])
    return row


async def unfollow_group(group: Group, target: Account, *, by: Account | None = None) -> GroupFollow:
    """Stop following; an Undo of the Follow goes out."""
    await require_role(group, by, ORGANISER_ROLES)
    row = await GroupFollow.get_or_none(group=group, target=target)
    if row is None:
        raise NotFound(f"{group.slug} does not follow {target.handle or target.uri}")
    async with in_transaction():
        GROUP_FOLLOW.check(row.state, "undone")
        row.state = "undone"
        await row.save(update_fields=["state", "updated_at"])
        await events.record("group_follow.undone", group, group_follow_id=row.id)
    return row


async def set_relay(
    group: Group, target: Account, relay: bool | None = None, *, hashtag: str | None = None, by: Account | None = None,
) -> GroupFollow:
    """Choose whether the followed group's posts are re-announced to this group's members, and filter them by hashtag.

    ``relay`` None keeps the switch as it is; ``hashtag`` None keeps the filter, ``""`` removes it.
    """
    await require_role(group, by, ORGANISER_ROLES)
    row = await GroupFollow.get_or_none(group=group, target=target)
    if row is None or row.state == "undone":
        raise NotFound(f"{group.slug} does not follow {target.handle or target.uri}")
    if relay is not None:
        row.relay = relay
    if hashtag is not None:
        row.hashtag = _hashtag(hashtag)
    await row.save(update_fields=["relay", "hashtag", "updated_at"])
    return row


async def relaying_groups(source: Account, *, hashtags: list[str] | None = None, addressed: set[str] | None = None) -> list[Group]:
    """Local groups that follow ``source`` (accepted) and relay its posts to their members.

    A follow filtered by hashtags takes only posts carrying one of them (``hashtags``) or addressed to
    the following group (its slug in ``addressed``); without ``hashtags`` only unfiltered follows relay.
    """
    wanted = {t.casefold() for t in hashtags or []}
    rows = await GroupFollow.filter(target=source, state="accepted", relay=True).prefetch_related("group")
    return [row.group for row in rows
            if not row.hashtag or wanted & set(row.hashtag.split()) or row.group.slug in (addressed or set())]


async def followers_of(source: Account) -> list[Group]:
    """Local groups with an accepted follow of ``source``, relaying or not."""
    rows = await GroupFollow.filter(target=source, state="accepted").prefetch_related("group")
    return [row.group for row in rows]


async def create_collaboration(
    host: Group, slug: str, name: str, *, host_account: Account, description: str = "",
    ends_at: datetime | None = None, hashtag: str | None = None, by: Account | None = None,
) -> Collaboration:
    """A new collaboration hosted by ``host``, with ``host`` as its first partner.

    Its hashtag (default: the slug without underscores) marks partners' posts that are shared into the space.
    """
    await require_role(host, by, ORGANISER_ROLES)
    check_slug(slug)
    tag = normalise_hashtag(hashtag or slug.replace("_", ""))
    group = await create_group(slug, name, summary=description, kind="collaboration")
    async with in_transaction():
        collaboration = await Collaboration.create(group=group, host_group=host, ends_at=ends_at, hashtag=tag)
        await Membership.create(group=group, account=host_account, state="accepted", role="partner")
    return collaboration


async def accept_local_partner(
    collaboration: Collaboration, partner: Group, partner_account: Account, collab_account: Account, *, follow_uri: str
) -> GroupFollow:
    """A local partner group relays the collaboration's posts: its follow is accepted at once (no wire)."""
    row, _ = await GroupFollow.get_or_create(
        group=partner, target=collab_account, defaults={"follow_uri": follow_uri, "state": "accepted", "relay": True}
    )
    await add_partner(collaboration, partner_account)
    return row


async def find_collaboration(host: Group, name: str) -> Collaboration | None:
    """The collaboration with this name (or slug) hosted by ``host``."""
    for row in await Collaboration.filter(host_group=host).prefetch_related("group"):
        if row.group.name.lower() == name.lower() or row.group.slug == name.lower():
            return row
    return None


async def add_partner(collaboration: Collaboration, partner: Account) -> Membership:
    """A group that accepted the invite becomes a partner (an accepted member with the partner role)."""
    group = await collaboration.group
    membership, created = await Membership.get_or_create(
        group=group, account=partner, defaults={"state": "accepted", "role": "partner"}
    )
    if not created and (membership.state != "accepted" or membership.role != "partner"):
        membership.state, membership.role = "accepted", "partner"
        await membership.save(update_fields=["state", "role", "updated_at"])
    return membership


async def partners(collaboration: Collaboration) -> list[Account]:
    """The partner groups' accounts."""
    rows = await Membership.filter(group_id=collaboration.group_id, role="partner", state="accepted").prefetch_related("account")
    return [row.account for row in rows]
