"""This hub's groups as the wire names them: the local group of a URL, and the account standing for one."""

from __future__ import annotations

from federation.context import Federation
from hub.models import Account, Group
from hub.services.collaborations import group_account


async def local_group(fed: Federation, url: str | None) -> Group | None:
    """The local group whose actor id is ``url``, if any (a deleted or suspended group is none: it takes nothing)."""
    slug = fed.urls.group_slug(url) if url else None
    return await Group.get_or_none(slug=slug, deleted_at__isnull=True, suspended_at__isnull=True) if slug else None


async def local_group_account(fed: Federation, group: Group) -> Account:
    """The account standing for a local group."""
    return await group_account(group, fed.urls.group(group.slug), f"{group.slug}@{fed.urls.host}")


async def local_group_of(fed: Federation, account: Account) -> Group | None:
    """The local group an account stands for, if it is one."""
    slug = fed.urls.group_slug(account.uri)
    return await Group.get_or_none(slug=slug) if slug else None
