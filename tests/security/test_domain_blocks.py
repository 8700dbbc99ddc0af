"""Domain blocks without loopholes (issue 21 item 4).

Every block check reads hosts through hub.services.blocks.normalise_host (userinfo, case, trailing
dot, IDNA, default port); an instance block ends the memberships of that server's accounts, cancels
what is queued there, and nothing is queued there afterwards.
"""

from __future__ import annotations

import pytest

from federation.audience import is_blocked
from federation.delivery import enqueue
from hub.clock import now
from hub.models import Delivery, Membership
from hub.services import accounts, blocks, members, moderation
from hub.services.groups import create_group

pytestmark = pytest.mark.db

SNEAKY = "http://x@Blocked.Example./users/mallory"
"""An actor id on blocked.example, written with userinfo, capitals and a trailing dot."""


def test_one_normaliser_reads_userinfo_case_dots_and_default_ports() -> None:
    """host_of_uri, covering and the audience's check agree on the disguised host."""
    assert blocks.host_of_uri(SNEAKY) == "blocked.example"
    assert blocks.host_of_uri("https://u:p@blocked.example:443/x") == "blocked.example"
    assert blocks.host_of_uri("https://blocked.example:8443/x") == "blocked.example:8443"
    assert "blocked.example" in blocks.covering("x@sub.BLOCKED.example.")
    assert is_blocked("x@sub.blocked.example", {"blocked.example"})
    assert blocks.is_covered("sub.blocked.example:8443", {"blocked.example"})


async def test_an_actor_id_with_userinfo_does_not_pass_a_block(db) -> None:
    """instance_blocked and group_blocked see through ``x@`` in the actor id."""
    group = await create_group("climate", "Climate", owner=await accounts.remote_account("https://ok.example/users/o"))
    await moderation.block_domain("blocked.example")
    assert await blocks.instance_blocked(SNEAKY)
    assert await blocks.group_blocked(group, SNEAKY)


async def test_an_instance_block_ends_memberships_and_cancels_deliveries(db) -> None:
    """Members from the blocked server (whatever their id looks like) are removed; its queued deliveries, any port, cancelled."""
    group = await create_group("climate", "Climate", owner=await accounts.remote_account("https://ok.example/users/o"))
    sneaky = await accounts.remote_account(SNEAKY)
    await members.request_join(group, sneaky, follow_uri=f"{SNEAKY}#follow", pre_approved=True)
    await Delivery.create(inbox="https://m.blocked.example:8443/inbox", host="m.blocked.example:8443", actor_uri="x",
                          activity_uri="a", body="{}", next_try_at=now())
    assert await moderation.block_domain("blocked.example") == 1
    assert (await Membership.get(account=sneaky)).state == "removed"
    assert (await Delivery.get(host="m.blocked.example:8443")).state == "cancelled"


async def test_nothing_is_queued_for_a_blocked_server(db) -> None:
    """enqueue skips inboxes on a blocked domain or its subdomains, and queues the rest."""
    await moderation.block_domain("blocked.example")
    activity = {"id": "https://hub.test/a/1", "type": "Announce"}
    queued = await enqueue(activity, actor_uri="https://hub.test/groups/climate",
                           inboxes=["https://blocked.example/inbox", "https://a.blocked.example:8443/inbox", "https://ok.example/inbox"])
    assert queued == 1
    assert await Delivery.all().values_list("host", flat=True) == ["ok.example"]
