"""A member's home on the hub: their groups with alerts per group and per campaign, their answers to
calls, their sessions and their language — gathered for one page, changed one setting at a time.

The changes themselves reuse the services that own them: leaving is
:func:`hub.services.members.leave_here`, withdrawing :func:`hub.services.calls.withdraw`, alerts
:mod:`hub.services.alerts`, sessions :mod:`hub.services.sessions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import NotFound
from hub.models import Account, Campaign, Group, Membership, Session, Signup
from hub.services import alerts, calls, members, sessions


@dataclass(frozen=True)
class CampaignAlerts:
    """One campaign of a member's group and whether its alerts reach the member."""

    campaign: Campaign
    on: bool


@dataclass(frozen=True)
class GroupEntry:
    """One of the member's groups: the membership, whether they get its alerts, its campaigns."""

    membership: Membership
    alerts_on: bool
    campaigns: list[CampaignAlerts]

    @property
    def group(self) -> Group:
        """The group."""
        return self.membership.group


@dataclass(frozen=True)
class Home:
    """Everything the member's page shows."""

    account: Account
    groups: list[GroupEntry]
    signups: list[Signup]
    sessions: list[Session]


async def home_of(account: Account) -> Home:
    """Gather the member's page."""
    memberships = await members.memberships_of(account)
    accepted = [m.group_id for m in memberships if m.state == "accepted"]
    subscribed = set(await alerts.subscribed_groups(account))
    muted = await alerts.muted_campaigns(account)
    by_group: dict[int, list[Campaign]] = {}
    for campaign in await Campaign.filter(group_id__in=accepted).order_by("name"):
        by_group.setdefault(campaign.group_id, []).append(campaign)
    entries = [
        GroupEntry(
            membership=m, alerts_on=m.group_id in subscribed,
            campaigns=[CampaignAlerts(c, c.id not in muted) for c in by_group.get(m.group_id, [])],
        )
        for m in memberships
    ]
    return Home(account, entries, await calls.signups_of(account), await sessions.list_for(account))


async def campaign_of_member(account: Account, group: Group, campaign_slug: str) -> Campaign:
    """A campaign of ``group`` by slug; NotFound when there is none."""
    campaign = await Campaign.get_or_none(group=group, slug=campaign_slug)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_slug!r} in {group.slug}")
    return campaign
