"""Shared spaces seen from both sides: the host's collaboration and the partners that feed, moderate and leave it.

A *space* is a collaboration's Group actor. At its host it is a local group with a ``Collaboration``
row; at a partner's hub it is a remote account the partner group follows. Both hubs keep the
moderators each partner named (``CollaborationModerator``): the partner's hub to check who may act,
the host to check every removal or ban a partner sends.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import InvalidInput, NotFound, PermissionDenied
from hub.models import Account, Collaboration, CollaborationModerator, Group, GroupFollow, Invite, Membership, PartnerCall, Post
from hub.services import campaigns, events, members, moderation
from hub.services.collaborations import unfollow_group


async def collaboration_of(group: Group) -> Collaboration | None:
    """The collaboration whose space ``group`` is (None for an ordinary group)."""
    if group.kind != "collaboration":
        return None
    return await Collaboration.get_or_none(group=group)


def is_open(collaboration: Collaboration, at: datetime | None = None) -> bool:
    """Whether the space still shares posts: no end date, or before it."""
    return collaboration.ends_at is None or (at or now()) < collaboration.ends_at


async def is_partner(space_group: Group, account: Account) -> bool:
    """Whether ``account`` (a group's account) is an accepted partner of the local space ``space_group``."""
    return await Membership.filter(group=space_group, account=account, role="partner", state="accepted").exists()


async def may_share(space_group: Group, source: Account, author: Account) -> str | None:
    """Why the space will not take a post ``source`` shared (None: it will): not a partner, ended, author banned."""
    collaboration = await collaboration_of(space_group)
    if collaboration is None:
        return None
    if not await is_partner(space_group, source):
        return f"{source.handle or source.uri} is not a partner of {space_group.slug}"
    if not is_open(collaboration):
        return f"{space_group.slug} ended on {collaboration.ends_at:%Y-%m-%d}"
    if await Membership.filter(group=space_group, account=author, state="banned").exists():
        return f"{author.handle or author.uri} is banned from {space_group.slug}"
    return None


async def _partner_follow(group: Group, space: Account) -> GroupFollow:
    row = await GroupFollow.get_or_none(group=group, target=space, state="accepted")
    if row is None:
        raise NotFound(f"{group.slug} is not a partner of {space.handle or space.uri}")
    return row


async def name_moderator(group: Group, space: Account, partner: Account, moderator: Account, *, by: Account | None = None) -> CollaborationModerator:
    """The partner group ``group`` names ``moderator`` for the space it takes part in; the host is told (``space.moderator``)."""
    await members.require_role(group, by, members.ORGANISER_ROLES)
    await _partner_follow(group, space)
    async with in_transaction():
        row, created = await CollaborationModerator.get_or_create(space=space, partner=partner, moderator=moderator)
        if created:
            await events.record("space.moderator", group, space_id=space.id, partner_id=partner.id, moderator_id=moderator.id)
    return row


async def record_moderator(space_group: Group, space: Account, partner: Account, moderator: Account) -> CollaborationModerator:
    """At the host: a partner named a moderator of the local space (refused when it is not a partner)."""
    if not await is_partner(space_group, partner):
        raise PermissionDenied(f"{partner.handle or partner.uri} is not a partner of {space_group.slug}")
    row, _ = await CollaborationModerator.get_or_create(space=space, partner=partner, moderator=moderator)
    return row


async def is_named_moderator(space: Account, partner: Account, moderator: Account) -> bool:
    """Whether ``partner`` named ``moderator`` for the space."""
    return await CollaborationModerator.filter(space=space, partner=partner, moderator=moderator).exists()


async def _check_moderator(group: Group, space: Account, partner: Account, moderator: Account) -> None:
    await _partner_follow(group, space)
    if not await is_named_moderator(space, partner, moderator):
        raise PermissionDenied(f"{moderator.handle or moderator.uri} is not a moderator {group.slug} named for this space")


async def request_removal(group: Group, space: Account, partner: Account, moderator: Account, uri: str, *, reason: str | None = None) -> list[Post]:
    """A named moderator of partner ``group`` removes post ``uri`` from the space: copies here go at once, the host is told."""
    await _check_moderator(group, space, partner, moderator)
    async with in_transaction():
        withdrawn = await moderation.withdraw_relayed(space, uri, reason=reason or f"removed from the space by {moderator.handle or moderator.uri}")
        await events.record("space.removal", group, space_id=space.id, partner_id=partner.id, moderator_id=moderator.id, uri=uri, reason=reason)
    return withdrawn


async def request_ban(group: Group, space: Account, partner: Account, moderator: Account, account: Account, *, reason: str | None = None) -> None:
    """A named moderator of partner ``group`` bans ``account`` from the space; the host applies it."""
    await _check_moderator(group, space, partner, moderator)
    await events.record("space.ban", group, space_id=space.id, partner_id=partner.id, moderator_id=moderator.id,
                        account_id=account.id, reason=reason)


async def apply_removal(space_group: Group, space: Account, partner: Account, moderator: Account, uri: str, *, reason: str | None) -> list[Post]:
    """At the host: a removal by a partner's named moderator takes the post out of the space and out of local partners.

    PermissionDenied when the partner is not in the space or did not name the moderator.
    """
    await _check_sender(space_group, space, partner, moderator)
    why = reason or f"removed from {space_group.slug} by {moderator.handle or moderator.uri} of {partner.handle or partner.uri}"
    removed = []
    for post in await Post.filter(group=space_group, uri=uri, state__in=["published", "held"]):
        removed.append(await moderation.remove_post(post, reason=why))
    removed += await moderation.withdraw_relayed(space, uri, reason=why)
    return removed


async def apply_ban(space_group: Group, space: Account, partner: Account, moderator: Account, account: Account, *, reason: str | None) -> None:
    """At the host: a ban by a partner's named moderator (its posts in the space removed too)."""
    await _check_sender(space_group, space, partner, moderator)
    if account.id in {partner.id, space.id}:
        raise InvalidInput("a partner group cannot be banned from the space it is in; it can leave")
    await moderation.ban(space_group, account, reason=reason or f"banned by {moderator.handle or moderator.uri}", remove_posts=True)


async def _check_sender(space_group: Group, space: Account, partner: Account, moderator: Account) -> None:
    if not await is_partner(space_group, partner):
        raise PermissionDenied(f"{partner.handle or partner.uri} claims to moderate {space_group.slug} but is not a partner of it")
    if not await is_named_moderator(space, partner, moderator):
        raise PermissionDenied(f"{moderator.handle or moderator.uri} is not a moderator {partner.handle or partner.uri} named for {space_group.slug}")


async def partner_left(space_group: Group, space: Account, partner: Account) -> bool:
    """At the host: a partner undid its follow of the space; it stops receiving and contributing, its moderators lapse."""
    membership = await members.leave(space_group, partner)
    if membership is None or membership.state != "left":
        return False
    await CollaborationModerator.filter(space=space, partner=partner).delete()
    if await GroupFollow.filter(group=space_group, target=partner, state__in=["pending", "accepted"]).exists():
        await unfollow_group(space_group, partner)
    return True


async def leave(group: Group, space: Account, partner: Account, *, by: Account | None = None) -> GroupFollow:
    """Partner ``group`` (account ``partner``) leaves the space: its follow is undone (the host stops at once), its moderators lapse."""
    row = await unfollow_group(group, space, by=by)
    await CollaborationModerator.filter(space=space, partner=partner).delete()
    return row


async def hosted() -> list[Collaboration]:
    """Collaborations hosted here, with their space and host groups."""
    return await Collaboration.all().order_by("id").prefetch_related("group", "host_group")


async def joined() -> list[GroupFollow]:
    """Follows by which local groups take part in spaces hosted elsewhere (an accepted invite, a live follow)."""
    uris = set(await Invite.filter(direction="incoming", kind="collaboration", state="accepted").values_list("object_uri", flat=True))
    if not uris:
        return []
    rows = await GroupFollow.filter(target__uri__in=list(uris), state__in=["pending", "accepted"]).order_by("id").prefetch_related("group", "target")
    return list(rows)


async def moderators_of(space: Account) -> list[CollaborationModerator]:
    """The moderators partners named for a space, with partner and moderator accounts."""
    return await CollaborationModerator.filter(space=space).order_by("id").prefetch_related("partner", "moderator")


async def spaces_of(partner: Account) -> list[Group]:
    """The local spaces in which ``partner`` (a group's account) is an accepted partner."""
    rows = await Membership.filter(account=partner, role="partner", state="accepted").prefetch_related("group")
    return [row.group for row in rows if row.group.kind == "collaboration"]


async def record_partner_call(
    space_group: Group, partner: Account, *, uri: str, what: str, signups: int, closed: bool, hashtags: list[str],
) -> list[PartnerCall]:
    """At the host: a partner's call with a hashtag of the space's running campaigns counts in them, credited to the partner.

    Each update replaces the numbers; a call id already credited to another partner is left alone.
    """
    if not await is_partner(space_group, partner):
        raise PermissionDenied(f"{partner.handle or partner.uri} is not a partner of {space_group.slug}")
    out = []
    values = {"what": what[:500], "signups": max(0, signups), "closed": closed}
    for campaign in await campaigns.campaigns_for(hashtags, group=space_group):
        row, created = await PartnerCall.get_or_create(campaign=campaign, uri=uri, defaults={"partner": partner, **values})
        if not created:
            if row.partner_id != partner.id:
                continue
            row.what, row.signups, row.closed = values["what"], values["signups"], values["closed"]
            await row.save(update_fields=["what", "signups", "closed", "updated_at"])
        out.append(row)
    return out
