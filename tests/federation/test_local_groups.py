"""This hub's groups as the wire names them."""

from __future__ import annotations

import pytest

from federation.local_groups import local_group, local_group_account, local_group_of
from hub.services import groups
from tests.federation.conftest import remote_account

pytestmark = pytest.mark.db


async def test_a_groups_actor_id_and_its_standing_account(fed):
    """Only the group's exact actor id names it; its account is created once and maps back to the group."""
    group = await groups.create_group("climate", "Climate")
    assert (await local_group(fed, fed.urls.group("climate"))).id == group.id
    assert await local_group(fed, fed.urls.group_followers("climate")) is None and await local_group(fed, None) is None
    account = await local_group_account(fed, group)
    assert account.uri == fed.urls.group("climate") and account.handle == "climate@hub.test"
    assert (await local_group_account(fed, group)).id == account.id
    assert (await local_group_of(fed, account)).id == group.id
    assert await local_group_of(fed, await remote_account("ann")) is None
