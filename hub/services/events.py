"""Recording domain events for the federation layer (the transactional outbox)."""

from __future__ import annotations

from typing import Any

from hub import broadcast
from hub.clock import now
from hub.models import Event, Group

KINDS: dict[str, str] = {
    "alert.sent": "organisers sent an urgent alert (alert_id)",
    "alert.subscription": "a member switched urgent alerts on or off (account_id, on)",
    "announcement.deleted": "organisers deleted one of the group's announcements (announcement_id)",
    "announcement.pinned": "an announcement was pinned (announcement_id)",
    "announcement.published": "organisers posted as the group (announcement_id)",
    "announcement.unpinned": "an announcement was unpinned (announcement_id)",
    "announcement.updated": "organisers edited an announcement (announcement_id)",
    "call.closed": "a call to action closed (call_id)",
    "call.published": "a call to action opened (call_id)",
    "call.signup": "someone answered a call (call_id, signup_id)",
    "campaign.created": "a campaign started (campaign_id)",
    "campaign.post_pending": "a post gathered from a relay waits for a campaign's organisers (entry_id, campaign_id)",
    "gathering.cancelled": "organisers cancelled an event of the group (gathering_id)",
    "gathering.published": "organisers created an event of the group (gathering_id)",
    "gathering.reminder": "an event's reminder came due (gathering_id, minutes)",
    "gathering.rsvp": "someone's answer to an event changed (gathering_id, rsvp_id, previous, promoted?)",
    "gathering.updated": "organisers changed an event (gathering_id, changed: time, place, details)",
    "decision.closed": "a decision closed at its time or early, its result stored (decision_id)",
    "decision.opened": "a decision was opened for votes (decision_id)",
    "group.created": "a group was created (slug)",
    "group.deleted": "its owners deleted a group; members were told (by)",
    "group.moved": "a group moved to another hub; members' servers are told (target)",
    "group.updated": "a group's profile changed",
    "group.suspended": "the hub's administrators suspended a group (by, reason)",
    "group.unsuspended": "the hub's administrators lifted a group's suspension (by)",
    "group_follow.requested": "a local group asked to follow another group (group_follow_id)",
    "group_follow.undone": "a local group stopped following another group (group_follow_id)",
    "invite.accepted": "an invite was accepted (invite_id)",
    "invite.rejected": "an invite was rejected (invite_id)",
    "invite.revoked": "an invite was withdrawn by its sender (invite_id)",
    "invite.sent": "a group invited a person or a group (invite_id)",
    "library.added": "organisers added an entry to the group's library (entry_id)",
    "library.removed": "organisers removed an entry from the library (entry_id)",
    "membership.accepted": "someone became a member (membership_id, follow_uri)",
    "membership.banned": "a member was banned (membership_id, reason)",
    "membership.left": "a member left (membership_id)",
    "membership.moved": "a member's account moved; the new account holds the membership (membership_id, origin)",
    "membership.quit": "a member left, or withdrew a request, from the hub's own page (membership_id, follow_uri)",
    "membership.rejected": "a request to join was refused (membership_id, follow_uri)",
    "membership.removed": "a member was removed (membership_id)",
    "membership.requested": "someone asked to join and waits for approval (membership_id)",
    "membership.role": "a member's role changed (membership_id, role, previous)",
    "membership.unbanned": "a ban was lifted (membership_id)",
    "notice.direct": "a direct message from a group or the instance to one account (account_id, text, link)",
    "organisers.email": "one email to one organiser, sent by the worker when HUB_SMTP_* is set (group_slug, to, subject, body)",
    "post.deleted": "its author deleted a post (post_id, activity_json)",
    "post.held": "a post waits for a moderator (post_id)",
    "post.pinned": "a post was pinned (post_id)",
    "post.published": "a post was published, approved, restored or relayed (post_id)",
    "post.refused": "a post was refused (author_id, activity_uri, reason)",
    "post.removed": "moderators removed a post (post_id, reason)",
    "post.unpinned": "a post was unpinned (post_id)",
    "post.updated": "its author edited a post (post_id, activity_json)",
    "refusal.explained": "an author is told why their post was not shared (account_id, reason, text)",
    "relay.follow": "the hub subscribed to a relay (relay_id)",
    "relay.undo": "the hub unsubscribed from a relay (relay_id)",
    "space.ban": "a partner's named moderator bans an account from a shared space (space_id, partner_id, moderator_id, account_id, reason)",
    "space.moderator": "a partner group named a moderator of a shared space (space_id, partner_id, moderator_id)",
    "space.removal": "a partner's named moderator removes a post from a shared space (space_id, partner_id, moderator_id, uri, reason)",
    "report.forwarded": "a report was forwarded to the reported account's server (report_id)",
    "report.received": "a report about something in the group waits for a moderator (report_id)",
}
"""Every event kind the domain records, with its payload: the federation registry must handle each or
declare it quiet (tests/federation/test_registry.py), so a new kind is added here first."""


ORDER_FIELDS = (
    "post_id", "announcement_id", "membership_id", "gathering_id", "call_id", "decision_id", "group_follow_id",
    "invite_id", "relay_id", "report_id", "space_id", "campaign_id", "alert_id", "entry_id", "account_id",
)
"""The payload fields naming what an event is about, most specific first: the first one present makes its order key."""
LAST_OF_GROUP = ("group.deleted",)
"""Kinds that wait for every earlier pending event of their group, whatever it is about (the group's Delete
goes out after everything the group said before it)."""
UNORDERED = frozenset({"organisers.email", "post.refused"})
"""Kinds whose events never wait for another (one message each, about nothing later events change)."""


def order_key(kind: str, group: Group | None, payload: dict[str, Any]) -> str | None:
    """What ``kind`` is about, for ordering: ``post:post_id=7`` for every event of post 7 (published, updated,
    deleted…), ``membership:membership_id=3`` for a member's follow, role and undo, ``group:<id>`` for events
    about the group itself. An event waits only for earlier pending events with the same key (hub.queue.claim),
    so one waiting for a retry holds back its own object's later events, never the group's unrelated ones.
    None: no order to keep."""
    if kind in UNORDERED:
        return None
    family = kind.partition(".")[0]
    for name in ORDER_FIELDS:
        if payload.get(name) is not None:
            return f"{family}:{name}={payload[name]}"[:160]
    return f"group:{group.id}" if group is not None else None


async def record(kind: str, group: Group | None = None, **payload: Any) -> Event:
    """Store an event; call inside the transaction that made the change it describes (ValueError for an undeclared kind)."""
    if kind not in KINDS:
        raise ValueError(f"event kind {kind!r} is not declared in hub.services.events.KINDS")
    await broadcast.announce("content")
    return await Event.create(
        kind=kind, group=group, payload=payload, order_key=order_key(kind, group, payload), state="pending", next_try_at=now()
    )
