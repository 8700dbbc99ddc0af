"""Tests for hub.services.attention: what waits for organisers, and each organiser's choice of how to be told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import now
from hub.errors import InvalidInput, PermissionDenied
from hub.models import Membership
from hub.services import attention
from hub.services.groups import create_group
from tests.hub.campaign_helpers import account, member

pytestmark = pytest.mark.db


async def test_organisers_and_their_choices(db) -> None:
    """Owners, admins and moderators are organisers (messages on by default); each changes only their own choice."""
    owner = await account("owner")
    group = await create_group("aid", "Mutual Aid", owner=owner, closed=True)
    mod = await member(group, "mod", role="moderator")
    plain = await member(group, "plain")
    await Membership.create(group=group, account=await account("newcomer"), state="pending")
    assert (await attention.waiting(group)).join_requests == 1 and (await attention.waiting(group)).total == 1
    found = {o.account.id: o for o in await attention.organisers(group)}
    assert set(found) == {owner.id, mod.id} and all(o.direct_messages and o.email is None for o in found.values())
    await attention.set_preferences(group, mod, direct_messages=False, email="  mod@example.org ")
    mine = await attention.preferences(group, mod)
    assert (mine.direct_messages, mine.email) == (False, "mod@example.org")
    await attention.set_preferences(group, mod, direct_messages=True, email="")
    assert (await attention.preferences(group, mod)).email is None
    with pytest.raises(PermissionDenied):
        await attention.set_preferences(group, plain, direct_messages=True, email=None)


async def test_one_message_per_kind_in_the_quiet_period(db) -> None:
    """An organiser is due a message of a kind once per QUIET_FOR; other kinds are counted apart."""
    owner = await account("owner")
    group = await create_group("aid", "Mutual Aid", owner=owner)
    start = now()
    assert await attention.due(group, owner, "join_requests", at=start)
    assert not await attention.due(group, owner, "join_requests", at=start + timedelta(minutes=9))
    assert await attention.due(group, owner, "reports", at=start + timedelta(minutes=9))
    assert await attention.due(group, owner, "join_requests", at=start + attention.QUIET_FOR + timedelta(seconds=1))
    with pytest.raises(ValueError):
        await attention.due(group, owner, "parties", at=start)


@pytest.mark.parametrize("bad", ["not an address", "a@b", "x@y.example\r\nBcc: z@example.org", "a" * 250 + "@b.example",
                                 "<a@b.example>"])
def test_bad_email_addresses(bad: str) -> None:
    """Malformed addresses (and header injection) are refused with a message saying what is accepted."""
    with pytest.raises(InvalidInput, match="name@example.org"):
        attention.check_email(bad)
