"""The moderation feature: the group's Block of a member, public for a public group and followers-only for a private one."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from federation.context import build_federation
from federation.features import moderation
from federation.handling import ANY
from federation.urls import AS_PUBLIC
from hub.models import Group, Membership
from hub.settings import load_settings

MEMBER = "https://masto.test/users/ann"


def test_a_ban_is_a_block_of_the_member_with_the_group_as_target():
    """Block{actor: group, object: member, target: group}, with the reason and the end of a temporary ban."""
    fed = build_federation(load_settings({"HUB_DOMAIN": "hub.test", "HUB_SCHEME": "https"}),
                           http_transport=httpx.MockTransport(lambda r: httpx.Response(202)))
    until = datetime(2027, 1, 1, tzinfo=UTC)
    public = Group(slug="climate", name="Climate", visibility="public")
    block = moderation.block_activity(fed, public, Membership(id=7, banned_until=until), MEMBER, "spam")
    group_id = "https://hub.test/groups/climate"
    assert (block["type"], block["actor"], block["object"], block["target"]) == ("Block", group_id, MEMBER, group_id)
    assert block["id"] == fed.urls.group_activity("climate", "block", "7")
    assert block["summary"] == "spam" and block["endTime"] == "2027-01-01T00:00:00Z"
    assert block["to"] == [AS_PUBLIC, MEMBER]
    private = Group(slug="quiet", name="Quiet", visibility="private")
    hidden = moderation.block_activity(fed, private, Membership(id=8), MEMBER, None)
    assert AS_PUBLIC not in hidden["to"] + hidden["cc"] and "summary" not in hidden and "endTime" not in hidden
    assert ("Flag", ANY) in moderation.FEATURE.inbound and "membership.banned" in moderation.FEATURE.outbound
