"""A member's home on the hub: their groups with alerts per group and per campaign, their answers to
calls, their sessions and their language — gathered for one page, changed one setting at a time.

The page is read on every visit, so its reads are hand-written statements (hub.rows): the ORM's
six ``select_related`` and ``values_list`` queries spent most of the page's ~4 ms building SQL
(bench/RESULTS.md, issue 20.3).

The changes themselves reuse the services that own them: leaving is
:func:`hub.services.members.leave_here`, withdrawing :func:`hub.services.calls.withdraw`, alerts
:mod:`hub.services.alerts`, sessions :mod:`hub.services.sessions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub import rows
from hub.errors import NotFound
from hub.models import Account, Campaign, CallToAction, Group, Membership, Session, Signup
from hub.services import sessions


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
    """Gather the member's page: their memberships (accepted or pending) of groups that still exist by group
    name, the alerts they get, their answers to calls newest first, their live sessions last used first."""
    memberships = [_joined(Membership, "m", "group", row) for row in await rows.select(_memberships(), [account.id])]
    memberships.sort(key=lambda m: m.group.name.lower())
    subscribed, muted = set(), set()
    for kind, ident in await rows.select(_ALERTS, [account.id, account.id]):
        (subscribed if kind == "g" else muted).add(ident)
    by_group: dict[int, list[Campaign]] = {}
    for row in await rows.select(_campaigns(), [account.id]):
        campaign = rows.build(Campaign, row, "c")
        by_group.setdefault(campaign.group_id, []).append(campaign)
    entries = [
        GroupEntry(
            membership=m, alerts_on=m.group_id in subscribed,
            campaigns=[CampaignAlerts(c, c.id not in muted) for c in by_group.get(m.group_id, [])],
        )
        for m in memberships
    ]
    signups = []
    for row in await rows.select(_signups(), [account.id]):
        signup, call = rows.build(Signup, row, "s"), _joined(CallToAction, "c", "group", row)
        rows.attach(signup, "call", call)
        signups.append(signup)
    return Home(account, entries, signups, await sessions.list_for(account))


def _joined(model: type, alias: str, relation: str, row) -> object:
    """The ``model`` object of ``row`` with its group (selected as ``g``) attached as ``relation``."""
    instance = rows.build(model, row, alias)
    rows.attach(instance, relation, rows.build(Group, row, "g"))
    return instance


@rows.statement
def _memberships() -> str:
    """The member's accepted and pending memberships of groups that still exist, with their groups."""
    return (f"SELECT {rows.columns(Membership, 'm')}, {rows.columns(Group, 'g')} FROM memberships m "
            "JOIN groups g ON g.id = m.group_id "
            "WHERE m.account_id = ? AND m.state IN ('accepted', 'pending') AND g.deleted_at IS NULL")


_ALERTS = ("SELECT 'g', group_id FROM alert_subscriptions WHERE account_id = ? "
           "UNION ALL SELECT 'c', campaign_id FROM alert_mutes WHERE account_id = ?")
"""The groups whose alerts the member opted in to (``g``) and the campaigns they muted (``c``)."""


@rows.statement
def _campaigns() -> str:
    """The campaigns of the member's groups (accepted memberships), by name."""
    return (f"SELECT {rows.columns(Campaign, 'c')} FROM campaigns c JOIN memberships m ON m.group_id = c.group_id "
            "AND m.account_id = ? AND m.state = 'accepted' ORDER BY c.name, c.id")


@rows.statement
def _signups() -> str:
    """The member's answers to calls of groups that still exist, newest first, with call and group."""
    return (f"SELECT {rows.columns(Signup, 's')}, {rows.columns(CallToAction, 'c')}, {rows.columns(Group, 'g')} "
            "FROM signups s JOIN calls c ON c.id = s.call_id JOIN groups g ON g.id = c.group_id "
            "WHERE s.account_id = ? AND g.deleted_at IS NULL ORDER BY s.id DESC")


async def campaign_of_member(account: Account, group: Group, campaign_slug: str) -> Campaign:
    """A campaign of ``group`` by slug; NotFound when there is none."""
    campaign = await Campaign.get_or_none(group=group, slug=campaign_slug)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_slug!r} in {group.slug}")
    return campaign
