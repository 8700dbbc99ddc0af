"""Membership: a person (or a group) joins a local group by following it, and leaves by undoing the Follow.

Inbound: ``Follow`` of a local group asks to join (accepted, pending or rejected by the group's
join policy; an invite pre-approves it); the ``follow`` hook point lets features refuse first (see
federation.features.members_only). ``Undo{Follow}`` leaves. Outbound: the group's ``Accept`` or
``Reject`` of the Follow goes to the member's personal inbox (in-process for a local group); a member
who leaves from the hub's own page (``membership.quit``) is sent the Reject, so their server ends the follow.
"""

from __future__ import annotations

from federation import activities
from federation.context import Federation
from federation.delivery import enqueue
from federation.fetch import host_of
from federation.handling import ANY, Feature, Incoming, Outcome, done, ignored
from federation.hooks import FOLLOW
from federation.local_groups import local_group, local_group_account, local_group_of
from federation.nodeinfo import peer_software
from federation.remote import account_for, fetch_actor
from federation.vocab import id_of
from hub.models import Event, Group, Membership, RemoteActor
from hub.services import collaborations, invites, members


async def on_follow(fed: Federation, item: Incoming) -> Outcome:
    """Follow of a local group = asking to join (accepted, pending or rejected by the domain)."""
    group = await local_group(fed, item.object_id)
    if group is None:
        return ignored("Follow of something that is not a local group")
    actor = await fetch_actor(fed, item.actor)
    account = await actor.account
    await peer_software(fed, host_of(actor.uri))
    refused = await FOLLOW.first(fed, group, account, follow_uri=item.activity["id"])
    if refused is not None:
        return refused
    invited = await invites.use_person_invite(group, account)
    decision = await members.request_join(group, account, follow_uri=item.activity["id"], pre_approved=invited)
    return done(f"join {decision.outcome}" + (" (invited)" if invited else ""))


async def on_undo_follow(fed: Federation, item: Incoming) -> Outcome:
    """Undo of a Follow = leaving; only the follower may undo their own Follow."""
    follow_actor = id_of(item.obj.get("actor")) if item.obj else None
    if follow_actor is not None and follow_actor != item.actor:
        return ignored("Undo of someone else's Follow")
    account = await account_for(fed, item.actor)
    group = await local_group(fed, id_of(item.obj.get("object")) if item.obj else None)
    query = Membership.filter(account=account)
    if group is not None:
        query = query.filter(group=group)
    elif item.object_id:
        query = query.filter(follow_uri=item.object_id)
    else:
        return ignored("Undo names no Follow")
    left = 0
    for membership in await query.prefetch_related("group"):
        if await members.leave(membership.group, account) is not None:
            left += 1
    return done(f"left {left} group(s)") if left else ignored("no membership to end")


# --- outbound ------------------------------------------------------------------------------------


async def _membership_actor(event: Event) -> tuple[Membership, RemoteActor | None]:
    membership = await Membership.get(id=event.payload["membership_id"]).prefetch_related("account")
    actor = await RemoteActor.get_or_none(account_id=membership.account_id)
    return membership, actor


async def on_membership_answer(fed: Federation, event: Event, group: Group) -> None:
    """Accept or Reject the member's Follow at their personal inbox."""
    membership, actor = await _membership_actor(event)
    if actor is None:
        follow_uri = event.payload.get("follow_uri") or membership.follow_uri
        if follow_uri and await local_group_of(fed, membership.account) is not None:
            await collaborations.follow_answered(follow_uri, await local_group_account(fed, group), accepted=event.kind == "membership.accepted")
        return
    kind = "Accept" if event.kind == "membership.accepted" else "Reject"
    follow_uri = event.payload.get("follow_uri") or membership.follow_uri
    if kind == "Reject" and not follow_uri:
        return
    activity = activities.follow_reply(fed.urls, group, kind, follow_uri=follow_uri, follower=actor.uri)
    await enqueue(activity, actor_uri=fed.urls.group(group.slug), inboxes=[actor.inbox])


FEATURE = Feature(
    name="membership",
    inbound={
        ("Follow", ANY): on_follow,
        ("Undo", "Follow"): on_undo_follow,
    },
    outbound={
        "membership.accepted": on_membership_answer,
        "membership.rejected": on_membership_answer,
        "membership.removed": on_membership_answer,
        "membership.quit": on_membership_answer,  # left from the hub's page: the Reject ends the follow on their server
    },
    quiet=frozenset({"membership.left"}),
)
"""Joining and leaving; leaving (the member's own Undo) sends nothing. A request waiting for approval is
the organisers feature's (its organisers are told)."""
