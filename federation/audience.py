"""Who receives a group's activity: one written policy for every fan-out of a group.

Every feature that sends something to a group's members asks :func:`group_audience`; the policy is
:func:`plan`, a pure function of the members, tested with generated memberships
(tests/federation/test_audience.py):

1. Recipients are the group's **accepted** remote members whose actor is not gone. Pending,
   rejected, removed, banned and gone accounts get nothing; local accounts are not delivered to.
2. A server whose host (or a parent domain of it) the instance blocks, or the group blocks, gets
   **nothing** — whatever the content.
3. **Private content** — everything of a private group, and members-only posts of a public one:
   - servers running software listed in ``HUB_REFUSE_LEAKY_SOFTWARE`` get nothing (they show
     followers-only posts to everyone);
   - a server gets it at its **shared inbox** only when every account of that server that ever asked
     to join the group is an accepted member (no pending, rejected, removed, banned or gone account
     the server may still count as a follower and fan it out to) and its members share one shared
     inbox; otherwise at each accepted member's **personal** inbox.
4. **Public content** goes to a server's shared inbox when its members share one, else to each
   member's personal inbox.
5. So each server receives **one copy** at its shared inbox, or one per member at personal inboxes,
   never both and never one inbox twice; each inbox is listed under the **Announce form** its server
   shows (federation.nodeinfo.announce_form: ``object`` for microblogs, ``activity`` for group-aware).
6. ``exclude_account_id`` leaves one account out (a relayed post's source gets nothing back).

Cost: one query for the members (plain rows, hub.services.members.remote_member_inboxes: 10,000 members
as model objects took 0.5 s, 100,000 through the ORM's values 2 s), one
each for the instance's and the group's blocked domains, and for private content one for the servers
with not-accepted accounts — per event, never per delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple
from dataclasses import dataclass

from federation.context import Federation
from federation.nodeinfo import announce_form
from hub.models import DomainBlock, Group, Peer, RemoteActor
from hub.services import blocks, members

NOT_SAFE_FOR_SHARED = ("pending", "rejected", "removed", "banned", "gone")
"""Membership states of accounts a server may still count as followers: private content goes to personal inboxes there."""


class Member(NamedTuple):
    """One accepted remote member, as the policy sees it (a tuple: a fan-out makes one per member, 100,000 at a time)."""

    account_id: int
    inbox: str
    shared_inbox: str | None
    peer_id: int
    host: str
    software: str | None
    peer_blocked: bool = False


@dataclass(frozen=True)
class Audience:
    """The inboxes of one fan-out by Announce form (``object``, ``activity``), each inbox once."""

    forms: dict[str, list[str]]

    def get(self, form: str) -> list[str]:
        """The inboxes of servers showing ``form`` (sorted; empty when none)."""
        return self.forms.get(form, [])

    @property
    def everyone(self) -> list[str]:
        """Every inbox, whatever its form (for activities sent alike to all)."""
        return sorted({inbox for inboxes in self.forms.values() for inbox in inboxes})


def is_blocked(host: str, blocked_domains: frozenset[str] | set[str]) -> bool:
    """Whether ``host`` or one of its parent domains is among ``blocked_domains`` (hub.services.blocks.is_covered, the one rule)."""
    return blocks.is_covered(host, blocked_domains)


def plan(
    members: Iterable[Member], *, private: bool, blocked_domains: frozenset[str] | set[str] = frozenset(),
    unsafe_peers: frozenset[int] | set[int] = frozenset(), leaky: frozenset[str] | set[str] = frozenset(),
    exclude_account_id: int | None = None,
) -> Audience:
    """The policy above: the inboxes by Announce form for these accepted members."""
    by_peer: dict[int, list[Member]] = defaultdict(list)
    blocked_hosts: dict[str, bool] = {}  # covering() once per server, not per member (10,000 members, 1,000 servers)
    for member in members:
        if member.account_id == exclude_account_id or member.peer_blocked:
            continue
        if blocked_domains:
            blocked = blocked_hosts.get(member.host)
            if blocked is None:
                blocked = blocked_hosts[member.host] = is_blocked(member.host, blocked_domains)
            if blocked:
                continue
        if private and (member.software or "") in leaky:
            continue
        by_peer[member.peer_id].append(member)
    out: dict[str, set[str]] = defaultdict(set)
    for peer_id, group in by_peer.items():
        form = announce_form(group[0].software)
        shared = {m.shared_inbox for m in group}
        if len(shared) == 1 and None not in shared and not (private and peer_id in unsafe_peers):
            out[form].add(shared.pop())
        else:
            out[form].update(m.inbox for m in group)
    return Audience({form: sorted(inboxes) for form, inboxes in out.items()})


async def group_audience(fed: Federation, group: Group, *, members_only: bool = False, exclude_account_id: int | None = None) -> Audience:
    """Who receives ``group``'s activity: private content when the group is private or ``members_only``."""
    private = members_only or group.visibility != "public"
    rows = await members.remote_member_inboxes(group.id)
    if not rows:
        return Audience({})
    blocked = set(await Peer.filter(blocked=True).values_list("host", flat=True))
    blocked |= set(await DomainBlock.filter(group=group).values_list("domain", flat=True))
    unsafe: set[int] = set()
    if private:
        unsafe = set(await RemoteActor.filter(
            account__memberships__group=group, account__memberships__state__in=list(NOT_SAFE_FOR_SHARED)
        ).values_list("peer_id", flat=True))
    return plan(
        map(Member._make, rows), private=private, blocked_domains=blocked, unsafe_peers=unsafe,
        leaky=set(fed.settings.refuse_leaky_software), exclude_account_id=exclude_account_id,
    )
