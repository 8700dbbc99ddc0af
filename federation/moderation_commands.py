"""CLI for moderation (registered by the composition root, causeway.cli).

``hub member unban|role``, ``hub post list|remove|restore``, ``hub domain block|unblock|list``,
``hub report list|resolve|dismiss|send`` and ``hub moderation log``. Everything done here is done
as the hub's operator (``by=None``) and written to the moderation log; ``hub member remove --ban``
lives with the other member commands in hub.commands.
"""

from __future__ import annotations

import argparse

from federation.context import build_federation
from federation.features.moderation import send_report
from hub.models import Post, Report
from hub.services import groups, members, moderation
from hub.services.members import ROLES
from hub.settings import Settings
from hub.terminal import print_json, print_table


async def _group(slug: str | None):
    return await groups.get_group(slug) if slug else None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


async def _member_unban(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    account = await members.find_account(args.handle)
    await moderation.unban(group, account, reason=args.reason)
    print(f"unbanned {account.handle or account.uri} in {group.slug}; the Undo of the Block is queued")
    return 0


async def _member_role(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    account = await members.find_account(args.handle)
    membership = await moderation.set_role(group, account, args.role, reason=args.reason)
    print(f"{account.handle or account.uri} is now {membership.role} of {group.slug}")
    return 0


async def _post_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    query = Post.filter(group=group).order_by("-id").limit(args.limit).prefetch_related("author")
    if args.state:
        query = query.filter(state=args.state)
    rows = await query
    data = [{"id": p.id, "uri": p.uri, "author": p.author.uri, "author_handle": p.author.handle, "state": p.state,
             "visibility": p.visibility, "relayed": p.via_id is not None, "published_at": _iso(p.published_at)} for p in rows]
    if args.json:
        print_json(data)
    else:
        print_table([(d["id"], d["state"], d["visibility"], d["author_handle"] or d["author"], d["uri"]) for d in data],
                    ["id", "state", "visibility", "author", "uri"])
    return 0


def _post_action(action, verb: str):
    async def handler(args: argparse.Namespace, settings: Settings) -> int:
        post = await moderation.find_post(args.post, group=await _group(args.group))
        await action(post, reason=args.reason)
        print(f"post #{post.id} {verb}; members' servers are told")
        return 0

    return handler


async def _domain_block(args: argparse.Namespace, settings: Settings) -> int:
    group = await _group(args.group)
    dropped = await moderation.block_domain(args.domain, group=group, reason=args.reason)
    scope = f"for {group.slug}" if group else "for the whole hub"
    print(f"blocked {args.domain} {scope}; {dropped} membership(s) ended")
    return 0


async def _domain_unblock(args: argparse.Namespace, settings: Settings) -> int:
    group = await _group(args.group)
    await moderation.unblock_domain(args.domain, group=group, reason=args.reason)
    print(f"unblocked {args.domain}{f' for {group.slug}' if group else ''}")
    return 0


async def _domain_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = await moderation.domain_blocks(await _group(args.group))
    if args.json:
        print_json([{"domain": d, "reason": r} for d, r in rows])
    else:
        print_table(rows, ["domain", "reason"])
    return 0


def report_json(report: Report) -> dict:
    """What listings show of a report (the reporter is for organisers' eyes only)."""
    return {
        "id": report.id, "group": report.group.slug if report.group else None, "state": report.state,
        "reporter": report.reporter_uri, "target": report.target_uri, "objects": report.object_uris,
        "comment": report.comment, "outgoing": report.outgoing, "flag": report.flag_uri,
        "created_at": _iso(report.created_at), "resolved_at": _iso(report.resolved_at),
    }


async def _report_list(args: argparse.Namespace, settings: Settings) -> int:
    state = None if args.state == "all" else args.state
    rows = await moderation.list_reports(await _group(args.slug), state=state, instance_only=args.instance, outgoing=args.outgoing)
    data = [report_json(r) for r in rows]
    if args.json:
        print_json(data)
    else:
        print_table([(d["id"], d["group"] or "(instance)", d["state"], d["target"] or "", len(d["objects"]), d["comment"][:60])
                     for d in data], ["id", "queue", "state", "about", "posts", "comment"])
    return 0


def _report_close(action, verb: str):
    async def handler(args: argparse.Namespace, settings: Settings) -> int:
        report = await moderation.get_report(args.report_id)
        await action(report, reason=args.reason)
        print(f"report #{report.id} {verb}")
        return 0

    return handler


async def _report_send(args: argparse.Namespace, settings: Settings) -> int:
    fed = build_federation(settings)
    try:
        report = await send_report(fed, args.url, reason=args.reason or "", group=await _group(args.group))
    finally:
        await fed.close()
    print(f"report #{report.id} about {report.target_uri} queued for its server (a Flag from {fed.urls.instance_actor})")
    return 0


async def _log(args: argparse.Namespace, settings: Settings) -> int:
    group = await _group(args.slug)
    if group is not None and args.public:
        data = [{"id": e.id, "action": e.action, "target": e.target, "reason": e.reason, "at": _iso(e.created_at),
                 "until": _iso(e.expires_at)} for e in await moderation.public_log(group, limit=args.limit)]
    else:
        rows = await (moderation.group_log(group, limit=args.limit) if group else moderation.instance_log(limit=args.limit))
        data = [{"id": a.id, "action": a.action, "target": a.target, "reason": a.reason, "at": _iso(a.created_at),
                 "until": _iso(a.expires_at), "by": (a.moderator.handle or a.moderator.username or a.moderator.uri) if a.moderator else None}
                for a in rows]
    if args.json:
        print_json(data)
    else:
        print_table([(d["at"][:19], d["action"], d["target"], d["reason"] or "", d.get("by") or "") for d in data],
                    ["when (UTC)", "action", "target", "reason", "by"])
    return 0


def register(cli) -> None:
    """Add the moderation commands to the ``hub`` command tree."""
    p = cli.command("member unban", "lift a ban (the Block is undone)", _member_unban)
    p.add_argument("slug")
    p.add_argument("handle")
    p.add_argument("--reason")
    p = cli.command("member role", "give a member a role: owner, admin, moderator or member", _member_role)
    p.add_argument("slug")
    p.add_argument("handle")
    p.add_argument("role", choices=[r for r in ROLES if r != "partner"])
    p.add_argument("--reason")
    p = cli.command("post list", "a group's posts, newest first, with their ids", _post_list)
    p.add_argument("slug")
    p.add_argument("--state", choices=["published", "held", "removed", "deleted"])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    for verb, action, text in (("remove", moderation.remove_post, "remove a post (members' servers drop it)"),
                               ("restore", moderation.restore_post, "publish a removed or held post again")):
        p = cli.command(f"post {verb}", text, _post_action(action, "removed" if verb == "remove" else "published"))
        p.add_argument("post", metavar="POST_ID", help="the post's id, its object id or its /posts/ID URL")
        p.add_argument("--group", metavar="SLUG", help="the group, when the object id is in several")
        p.add_argument("--reason")
    p = cli.command("domain block", "refuse everything from a domain (the whole hub, or one group with --group)", _domain_block)
    p.add_argument("domain")
    p.add_argument("--group", metavar="SLUG")
    p.add_argument("--reason")
    p = cli.command("domain unblock", "lift a domain block", _domain_unblock)
    p.add_argument("domain")
    p.add_argument("--group", metavar="SLUG")
    p.add_argument("--reason")
    p = cli.command("domain list", "blocked domains (the hub's, or one group's with --group)", _domain_list)
    p.add_argument("--group", metavar="SLUG")
    p.add_argument("--json", action="store_true")
    p = cli.command("report list", "reports in a group's queue, or all (--instance: the admins' queue)", _report_list)
    p.add_argument("slug", nargs="?")
    p.add_argument("--state", choices=["open", "resolved", "dismissed", "all"], default="open")
    p.add_argument("--instance", action="store_true", help="only reports not about a group")
    p.add_argument("--outgoing", action="store_true", help="reports this hub sent to other servers")
    p.add_argument("--json", action="store_true")
    for verb, action in (("resolve", moderation.resolve_report), ("dismiss", moderation.dismiss_report)):
        p = cli.command(f"report {verb}", f"{verb} a report", _report_close(action, f"{verb[:-1] if verb.endswith('e') else verb}ed"))
        p.add_argument("report_id", type=int, metavar="ID")
        p.add_argument("--reason")
    p = cli.command("report send", "report a remote post or account to its server (a Flag from the instance actor)", _report_send)
    p.add_argument("url", metavar="POST_URL")
    p.add_argument("--reason", required=True)
    p.add_argument("--group", metavar="SLUG", help="the group the post reached, for its log")
    p = cli.command("moderation log", "a group's moderation log (or the hub's without SLUG)", _log)
    p.add_argument("slug", nargs="?")
    p.add_argument("--public", action="store_true", help="what the public sees: no report handling, no moderators")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
