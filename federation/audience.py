"""Who receives a group's activity: the inboxes of its members' servers, by the Announce form each shows."""

from __future__ import annotations

from collections import defaultdict

from federation.context import Federation
from federation.nodeinfo import announce_form
from hub.models import Group, RemoteActor

NOT_SAFE_FOR_SHARED = ("pending", "rejected", "removed", "banned", "gone")
"""Membership states of accounts a server may still count as followers: their server gets personal deliveries."""


async def member_inboxes(group: Group, *, exclude_account_id: int | None = None) -> dict[str, list[str]]:
    """Inboxes of the group's remote members, one per server (the shared inbox when there is one), by Announce form."""
    # Plain values, not models: a group of 10,000 members took 0.5 s to load as RemoteActor objects.
    rows = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False
    ).values_list("account_id", "shared_inbox", "inbox", "peer__software")
    by_form: dict[str, set[str]] = defaultdict(set)
    for account_id, shared_inbox, inbox, software in rows:
        if exclude_account_id is not None and account_id == exclude_account_id:
            continue
        by_form[announce_form(software)].add(shared_inbox or inbox)
    return {form: sorted(inboxes) for form, inboxes in by_form.items()}


async def private_inboxes(fed: Federation, group: Group) -> dict[str, list[str]]:
    """Inboxes of the group's accepted remote members by Announce form: personal ones unless a server is all members."""
    actors = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False
    ).prefetch_related("peer")
    unsafe_peers = set(await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state__in=list(NOT_SAFE_FOR_SHARED)
    ).values_list("peer_id", flat=True))
    leaky = set(fed.settings.refuse_leaky_software)
    by_peer: dict[int, list[RemoteActor]] = defaultdict(list)
    for actor in actors:
        if actor.peer.blocked or (actor.peer.software or "") in leaky:
            continue
        by_peer[actor.peer_id].append(actor)
    out: dict[str, set[str]] = defaultdict(set)
    for peer_id, members in by_peer.items():
        form = announce_form(members[0].peer.software)
        shared = {m.shared_inbox for m in members}
        if peer_id not in unsafe_peers and len(shared) == 1 and None not in shared:
            out[form].add(shared.pop())
        else:
            out[form].update(m.inbox for m in members)
    return {form: sorted(inboxes) for form, inboxes in out.items()}


async def group_inboxes(fed: Federation, group: Group) -> dict[str, list[str]]:
    """Inboxes of the group's remote members by Announce form; private groups: only ones fit for members-only."""
    if group.visibility != "public":
        return await private_inboxes(fed, group)
    rows = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False
    ).prefetch_related("peer")
    out: dict[str, set[str]] = defaultdict(set)
    for actor in rows:
        out[announce_form(actor.peer.software)].add(actor.shared_inbox or actor.inbox)
    return {form: sorted(inboxes) for form, inboxes in out.items()}


async def server_inboxes(group: Group) -> list[str]:
    """One inbox per server of the group's remote members (the shared inbox where there is one)."""
    rows = await RemoteActor.filter(
        account__memberships__group=group, account__memberships__state="accepted", gone=False,
    )
    return sorted({actor.shared_inbox or actor.inbox for actor in rows})
