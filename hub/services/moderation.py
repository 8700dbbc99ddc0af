"""Moderation: roles, bans, post removal, domain blocks and reports — each change logged with who, when and why.

Every function here checks the acting account's role (``by=None`` is the CLI or the system),
changes rows, records the domain event the federation layer turns into activities, and writes a
:class:`~hub.models.ModerationAction` — all in one transaction.

Events recorded (payloads are plain values):

- ``membership.role`` {membership_id, role, previous, by}: the moderators collection changed
  (Add/Remove when someone enters or leaves owner/admin/moderator);
- ``membership.banned`` / ``membership.unbanned`` {membership_id, reason, by} (from hub.services.members);
- ``post.removed`` / ``post.published`` {post_id, reason, by} (from hub.services.posts);
- ``report.forwarded`` {report_id}: a Flag goes from the instance actor to the reported post's server.

Instance-level domain blocks drop the domain's members without telling them (nothing is sent to a
blocked domain) and cancel queued deliveries there; group-level blocks remove the members with the
usual Reject.
"""

from __future__ import annotations

import re
from datetime import datetime

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hub.lifecycle import MEMBERSHIP, POST, REPORT
from hub.models import Account, Delivery, DomainBlock, Group, Membership, Peer, Post, Report
from hub.queue import move_all
from hub.services import blocks, events, members, moderation_log, posts
from hub.services.members import MODERATOR_ROLES, ORGANISER_ROLES, require_role
from hub.services.moderation_log import LogEntry, group_log, instance_log, public_log

SETTABLE_ROLES = ("owner", "admin", "moderator", "member")
"""Roles organisers give (``partner`` belongs to collaborations)."""
MAX_REPORT_OBJECTS = 20
"""Reported ids kept per report."""
MAX_COMMENT = 5000
"""Characters kept of a reporter's comment."""
REPORT_STATES = ("open", "resolved", "dismissed")

__all__ = [
    "LogEntry", "ban", "block_domain", "dismiss_report", "domain_blocks", "expire_bans", "find_post",
    "forward_report", "get_report", "group_log", "instance_log", "list_reports", "public_log",
    "receive_report", "remove_post", "resolve_report", "restore_post", "set_role", "unban",
    "unblock_domain", "withdraw_relayed",
]


async def require_admin(by: Account | None) -> None:
    """Raise PermissionDenied unless ``by`` is an instance administrator (None = the CLI)."""
    if by is not None and not by.is_admin:
        raise PermissionDenied("only the hub's administrators may do this")


# --- roles ---------------------------------------------------------------------------------------


async def set_role(group: Group, account: Account, role: str, *, by: Account | None = None, reason: str | None = None) -> Membership:
    """Give an accepted member a role: owner, admin, moderator or member.

    Owners and admins appoint moderators; only the owner (or an instance admin, or the CLI) appoints
    admins, changes an admin's role or hands over ownership — the previous owner becomes an admin.
    Event ``membership.role`` (Add/Remove on the moderators collection); logged as ``role``.
    """
    if role not in SETTABLE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(SETTABLE_ROLES)}")
    await require_role(group, by, ORGANISER_ROLES)
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is None or membership.state != "accepted":
        raise NotFound(f"{account.handle or account.uri} is not a member of {group.slug}")
    if membership.role == role:
        return membership
    if membership.role == "partner":
        raise Conflict("a partner group's role is set by its collaboration")
    if membership.role == "owner":
        raise PermissionDenied("the owner keeps the owner role until ownership is handed to someone else")
    if (role in ("owner", "admin") or membership.role == "admin") and not await _is_owner(group, by):
        raise PermissionDenied("only the owner appoints admins or hands over ownership")
    async with in_transaction():
        if role == "owner":
            for previous_owner in await Membership.filter(group=group, role="owner").prefetch_related("account"):
                await _change_role(group, previous_owner, "admin", by=by, reason="ownership handed over")
        await _change_role(group, membership, role, by=by, reason=reason)
    return membership


async def _is_owner(group: Group, by: Account | None) -> bool:
    if by is None or by.is_admin:
        return True
    return await Membership.filter(group=group, account=by, state="accepted", role="owner").exists()


async def _change_role(group: Group, membership: Membership, role: str, *, by: Account | None, reason: str | None) -> None:
    previous = membership.role
    membership.role = role
    await membership.save(update_fields=["role", "updated_at"])
    await events.record("membership.role", group, membership_id=membership.id, role=role, previous=previous, by=by.uri if by else None)
    account = await Account.get(id=membership.account_id)
    text = f"{previous} -> {role}" + (f": {reason}" if reason else "")
    await moderation_log.record("role", account.uri, group=group, by=by, reason=text)


# --- bans ----------------------------------------------------------------------------------------


async def ban(
    group: Group, account: Account, *, by: Account | None = None, reason: str | None = None,
    until: datetime | None = None, remove_posts: bool = False,
) -> Membership:
    """Ban an account from the group (Block federated), until ``until`` or for good; optionally remove its posts."""
    async with in_transaction():
        membership = await members.remove(group, account, ban=True, reason=reason, by=by, until=until)
        if remove_posts:
            for post in await Post.filter(group=group, author=account, state__in=["published", "held"]):
                await _set_post_state(group, post, "removed", by=by, reason=reason or "posts of a banned member")
    return membership


async def unban(group: Group, account: Account, *, by: Account | None = None, reason: str | None = None) -> Membership:
    """Lift a ban: the account may join again (Undo of the Block federated); logged as ``unban``."""
    await require_role(group, by, MODERATOR_ROLES)
    membership = await Membership.get_or_none(group=group, account=account)
    if membership is None or membership.state != "banned":
        raise NotFound(f"{account.handle or account.uri} is not banned from {group.slug}")
    return await members.lift_ban(membership, group, by=by, reason=reason)


async def expire_bans() -> int:
    """Lift every ban whose end time has passed; returns how many (joins also check, so this is housekeeping)."""
    count = 0
    for membership in await Membership.filter(state="banned", banned_until__lte=now()).prefetch_related("group"):
        await members.lift_ban(membership, membership.group, by=None, reason="the ban ended")
        count += 1
    return count


# --- posts ---------------------------------------------------------------------------------------

_POST_PATH = re.compile(r"/posts/(\d{1,18})/?$")


async def find_post(ref: str, *, group: Group | None = None) -> Post:
    """A post by row id, object id (a relayed copy only when it is the sole one) or ``…/posts/ID`` URL."""
    ref = (ref or "").strip()
    if ref.isdigit():
        post = await Post.get_or_none(id=int(ref))
    else:
        query = Post.filter(uri=ref)
        if group is not None:
            query = query.filter(group=group)
        rows = await query.order_by("id")
        own = [p for p in rows if p.via_id is None] or rows
        if len(own) > 1:
            raise Conflict(f"{ref} is in several groups; name the group")
        post = own[0] if own else None
        if post is None and (match := _POST_PATH.search(ref)):
            post = await Post.get_or_none(id=int(match.group(1)))
    if post is None or (group is not None and post.group_id != group.id):
        raise NotFound(f"no post {ref!r} here")
    return post


async def remove_post(post: Post, *, by: Account | None = None, reason: str | None = None) -> Post:
    """Remove a published or held post: members' servers are told to drop it; logged as ``remove_post``."""
    if post.state == "removed":
        return post
    if post.state == "deleted":
        raise Conflict("the author already deleted this post")
    return await posts.moderate(post, "removed", by=by, reason=reason)


async def restore_post(post: Post, *, by: Account | None = None, reason: str | None = None) -> Post:
    """Publish a removed (or held) post again; logged as ``restore_post`` (or ``approve_post``)."""
    if post.state == "published":
        return post
    return await posts.moderate(post, "published", by=by, reason=reason)


async def pin_post(post: Post, pinned: bool, *, by: Account | None = None) -> Post:
    """Feature (or stop featuring) a published public post on the group; logged as ``pin``/``unpin``."""
    group = await post.group
    await require_role(group, by, MODERATOR_ROLES)
    if pinned and (post.state != "published" or post.visibility not in ("public", "unlisted")):
        raise Conflict("only published public posts can be pinned")
    if post.pinned == pinned:
        return post
    async with in_transaction():
        post.pinned = pinned
        await post.save(update_fields=["pinned"])
        await events.record("post.pinned" if pinned else "post.unpinned", group, post_id=post.id)
        await moderation_log.record("pin" if pinned else "unpin", post.uri, group=group, by=by)
    return post


async def _set_post_state(group: Group, post: Post, target: str, *, by: Account | None, reason: str | None) -> None:
    POST.check(post.state, target)
    post.state = target
    await post.save(update_fields=["state"])
    await events.record(f"post.{target}", group, post_id=post.id, reason=reason, by=by.uri if by else None)
    await moderation_log.record("remove_post" if target == "removed" else "restore_post", post.uri, group=group, by=by, reason=reason)


async def withdraw_relayed(source: Account, uri: str, *, reason: str) -> list[Post]:
    """The group ``source`` withdrew a post it had announced: local copies relayed from it are removed."""
    rows = await Post.filter(via=source, uri=uri, state__in=["published", "held"]).prefetch_related("group")
    async with in_transaction():
        for post in rows:
            await _set_post_state(post.group, post, "removed", by=None, reason=reason)
    return rows


# --- domain blocks -------------------------------------------------------------------------------


async def _memberships_on(domain: str, *, group: Group | None) -> list[Membership]:
    """Accepted and pending memberships of accounts on ``domain`` (or its subdomains)."""
    query = Membership.filter(state__in=["accepted", "pending"], account__uri__icontains=domain.split(":")[0])
    if group is not None:
        query = query.filter(group=group)
    rows = await query.prefetch_related("account", "group")
    return [m for m in rows if blocks.matches(blocks.host_of_uri(m.account.uri), domain)]


async def block_domain(domain: str, *, group: Group | None = None, by: Account | None = None, reason: str | None = None) -> int:
    """Block a domain for the whole instance (``group`` None) or one group; returns the memberships dropped.

    Instance blocks: every activity from the domain is refused at the inbox, its members leave every
    group silently and queued deliveries to it are cancelled. Group blocks: its members are removed
    (their servers get the Reject) and its follows and posts are refused. Logged as ``domain_block``.
    """
    domain = blocks.normalise_domain(domain)
    if group is None:
        await require_admin(by)
    else:
        await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        if group is None:
            peer, _ = await Peer.get_or_create(host=domain)
            peer.blocked, peer.block_reason = True, reason
            await peer.save(update_fields=["blocked", "block_reason"])
            queued_hosts = set(await Delivery.filter(state="queued").distinct().values_list("host", flat=True))
            covered = [host for host in queued_hosts if blocks.is_covered(host, {domain})]
            await move_all(Delivery.filter(host__in=covered), "queued", "cancelled", last_error="domain blocked")
        else:
            row, created = await DomainBlock.get_or_create(group=group, domain=domain, defaults={"reason": reason})
            if not created:
                row.reason = reason
                await row.save(update_fields=["reason"])
        dropped = await _memberships_on(domain, group=group)
        for membership in dropped:
            target = "removed" if membership.state == "accepted" else "rejected"
            MEMBERSHIP.check(membership.state, target)
            membership.state, membership.reason = target, f"domain {domain} blocked"
            await membership.save(update_fields=["state", "reason", "updated_at"])
            if group is not None:
                await events.record(
                    f"membership.{target}", group, membership_id=membership.id, follow_uri=membership.follow_uri,
                    reason=membership.reason, by=by.uri if by else None,
                )
        await moderation_log.record("domain_block", domain, group=group, by=by, reason=reason)
    await blocks.note_change()
    return len(dropped)


async def unblock_domain(domain: str, *, group: Group | None = None, by: Account | None = None, reason: str | None = None) -> None:
    """Lift a domain block (its former members may follow again); logged as ``domain_unblock``."""
    domain = blocks.normalise_domain(domain)
    if group is None:
        await require_admin(by)
    else:
        await require_role(group, by, ORGANISER_ROLES)
    async with in_transaction():
        if group is None:
            changed = await Peer.filter(host=domain, blocked=True).update(blocked=False, block_reason=None)
        else:
            changed = await DomainBlock.filter(group=group, domain=domain).delete()
        if not changed:
            raise NotFound(f"{domain} is not blocked{f' by {group.slug}' if group else ''}")
        await moderation_log.record("domain_unblock", domain, group=group, by=by, reason=reason)
    await blocks.note_change()


async def domain_blocks(group: Group | None = None) -> list[tuple[str, str | None]]:
    """(domain, reason) of the instance's blocks, or of one group's."""
    if group is None:
        return [(p.host, p.block_reason) for p in await Peer.filter(blocked=True).order_by("host")]
    return [(b.domain, b.reason) for b in await DomainBlock.filter(group=group).order_by("domain")]


# --- reports -------------------------------------------------------------------------------------


def _bounded(uris: list[str]) -> list[str]:
    return [u[:1024] for u in dict.fromkeys(u for u in uris if isinstance(u, str) and u)][:MAX_REPORT_OBJECTS]


async def receive_report(
    *, reporter_uri: str, group: Group | None, target_uri: str | None, object_uris: list[str],
    comment: str = "", flag_uri: str | None = None,
) -> Report:
    """A report (a Flag) lands in the group's queue, or the instance admins' when ``group`` is None; idempotent by ``flag_uri``."""
    if flag_uri is not None:
        existing = await Report.get_or_none(flag_uri=flag_uri)
        if existing is not None:
            return existing
    async with in_transaction():
        report = await Report.create(
            group=group, flag_uri=flag_uri, reporter_uri=reporter_uri[:1024], target_uri=target_uri[:1024] if target_uri else None,
            object_uris=_bounded(object_uris), comment=(comment or "")[:MAX_COMMENT], state="open",
        )
        await events.record("report.received", group, report_id=report.id)
    return report


async def forward_report(
    *, reporter_uri: str, target_uri: str, object_uris: list[str], comment: str = "",
    group: Group | None = None, by: Account | None = None,
) -> Report:
    """Report a remote account or post to its home instance (a Flag from the instance actor, event ``report.forwarded``).

    Group moderators may report what reached their group; without a group, instance admins.
    """
    if group is None:
        await require_admin(by)
    else:
        await require_role(group, by, MODERATOR_ROLES)
    if not target_uri:
        raise InvalidInput("a report names the reported account")
    async with in_transaction():
        report = await Report.create(
            group=group, reporter_uri=reporter_uri[:1024], target_uri=target_uri[:1024], object_uris=_bounded(object_uris),
            comment=(comment or "")[:MAX_COMMENT], outgoing=True, state="open",
        )
        await events.record("report.forwarded", group, report_id=report.id)
        await moderation_log.record("report_forwarded", target_uri, group=group, by=by, reason=comment or None)
    return report


async def get_report(report_id: int) -> Report:
    """The report with this id, or NotFound."""
    report = await Report.get_or_none(id=report_id)
    if report is None:
        raise NotFound(f"no report #{report_id}")
    return report


async def _close_report(report: Report, target: str, *, by: Account | None, reason: str | None) -> Report:
    group = await Group.get_or_none(id=report.group_id) if report.group_id else None
    if group is None:
        await require_admin(by)
    else:
        await require_role(group, by, MODERATOR_ROLES)
    async with in_transaction():
        REPORT.check(report.state, target)
        report.state, report.resolved_by, report.resolved_at = target, by, now()
        await report.save(update_fields=["state", "resolved_by_id", "resolved_at"])
        about = report.target_uri or (report.object_uris[0] if report.object_uris else f"report #{report.id}")
        await moderation_log.record(f"report_{target}", about, group=group, by=by, reason=reason)
    return report


async def resolve_report(report: Report, *, by: Account | None = None, reason: str | None = None) -> Report:
    """Close a report as acted upon (open -> resolved)."""
    return await _close_report(report, "resolved", by=by, reason=reason)


async def dismiss_report(report: Report, *, by: Account | None = None, reason: str | None = None) -> Report:
    """Close a report without action (open -> dismissed)."""
    return await _close_report(report, "dismissed", by=by, reason=reason)


async def list_reports(
    group: Group | None = None, *, state: str | None = "open", instance_only: bool = False, outgoing: bool = False,
) -> list[Report]:
    """Reports newest first: one group's queue, the instance queue (``instance_only``), or all; ``state`` None = any."""
    if state is not None and state not in REPORT_STATES:
        raise InvalidInput(f"state must be one of {', '.join(REPORT_STATES)}")
    query = Report.filter(outgoing=outgoing)
    if group is not None:
        query = query.filter(group=group)
    elif instance_only:
        query = query.filter(group_id__isnull=True)
    if state is not None:
        query = query.filter(state=state)
    return await query.order_by("-id").prefetch_related("group")
