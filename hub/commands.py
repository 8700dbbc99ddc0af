"""The domain's CLI commands: migrate, admin, group create/list, member list/approve/remove, deliveries (--watch, --dead)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from hub import migrations
from hub.clock import now
from hub.errors import InvalidInput
from hub.services import accounts, groups, instance, members, moderation
from hub.services.queue_stats import dead_deliveries, delivery_stats, queue_counts, retry_dead
from hub.settings import Settings
from hub.terminal import print_json, print_table, progress_line, read_password


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    print(migrations.upgrade(settings.database_url).describe())
    return 0


async def _admin_create(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.password_stdin)
    account = await accounts.create_admin(args.username, password)
    print(f"created administrator {account.username}")
    return 0


async def _group_create(args: argparse.Namespace, settings: Settings) -> int:
    owner = await members.find_account(args.owner) if args.owner else None
    group = await groups.create_group(
        args.slug, args.name, summary=args.summary or "", closed=args.closed, private=args.private, owner=owner
    )
    await instance.instance_key()
    print(f"created @{group.slug}@{settings.domain} at {settings.base_url}/groups/{group.slug}")
    return 0


async def _group_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = await groups.list_groups(include_private=True)
    if args.json:
        print_json([
            {"slug": g.slug, "name": g.name, "handle": f"@{g.slug}@{settings.domain}", "visibility": g.visibility,
             "join_policy": g.join_policy, "members": g.members, "url": f"{settings.base_url}/groups/{g.slug}"}
            for g in rows
        ])
    else:
        print_table([(f"@{g.slug}@{settings.domain}", g.name, g.visibility, g.join_policy, g.members) for g in rows],
                    ["handle", "name", "visibility", "joining", "members"])
    return 0


async def _member_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    rows = await members.list_members(group)
    data = [{"account": m.account.uri, "handle": m.account.handle, "state": m.state, "role": m.role,
             "since": m.created_at.isoformat()} for m in rows]
    if args.json:
        print_json(data)
    else:
        print_table([(d["handle"] or d["account"], d["state"], d["role"], d["since"][:19]) for d in data],
                    ["member", "state", "role", "since"])
    return 0


async def _member_approve(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    account = await members.find_account(args.handle)
    await members.approve(group, account)
    print(f"approved {account.handle or account.uri} in {group.slug}; the Accept is queued")
    return 0


_DURATION = re.compile(r"^(\d{1,5})([mhdw])$")


def parse_until(value: str) -> datetime:
    """``--until``: an ISO date/time (UTC unless it says otherwise) or a duration from now: 30m, 12h, 7d, 2w."""
    match = _DURATION.match(value.strip().lower())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return now() + timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected an ISO date/time such as 2025-06-01T12:00 or a duration such as 7d") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _member_remove(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    account = await members.find_account(args.handle)
    if args.ban:
        await moderation.ban(group, account, reason=args.reason, until=args.until, remove_posts=args.remove_posts)
    else:
        if args.until or args.remove_posts:
            raise InvalidInput("--until and --remove-posts go with --ban")
        await members.remove(group, account, reason=args.reason)
    until = f" until {args.until:%Y-%m-%d %H:%M} UTC" if args.until else ""
    print(f"{'banned' if args.ban else 'removed'} {account.handle or account.uri} from {group.slug}{until}")
    return 0


async def _deliveries(args: argparse.Namespace, settings: Settings) -> int:
    if args.retry_dead:
        count = await retry_dead(host=args.host)
        print(f"queued {count} dead deliveries again" + (f" to {args.host}" if args.host else ""))
        return 0
    if args.dead:
        dead = await dead_deliveries(host=args.host, limit=args.limit)
        if args.json:
            print_json(dead)
        else:
            print_table([(d["id"], d["inbox"], d["tries"], d["last_status"] or "", (d["last_error"] or "")[:60]) for d in dead],
                        ["id", "inbox", "tries", "status", "why"])
        return 0
    if args.watch:
        return await _watch_deliveries(args.interval)
    stats = await delivery_stats()
    if args.json:
        print_json(stats)
        return 0
    print_table([(state, count) for state, count in stats["by_state"].items()], ["state", "deliveries"])
    print(f"oldest due: {stats['oldest_due'] or '-'}")
    if stats["failing_hosts"]:
        print_table([(h["host"], h["consecutive_failures"], h["paused_until"] or "") for h in stats["failing_hosts"]],
                    ["failing host", "failures", "paused until"])
    return 0


async def _watch_deliveries(interval: float) -> int:
    """Redraw a progress bar of the delivery queue every ``interval`` seconds until nothing is due (or Ctrl-C).

    Deliveries waiting for a later retry are shown but not waited for.
    """
    start = await queue_counts()
    tty = sys.stderr.isatty()
    history: list[tuple[float, int]] = []
    try:
        while True:
            counts = await queue_counts()
            done = counts["delivered"] - start["delivered"] + counts["dead"] - start["dead"]
            history = (history + [(time.monotonic(), done)])[-6:]
            elapsed = history[-1][0] - history[0][0]
            rate = (history[-1][1] - history[0][1]) / elapsed if elapsed > 0 else 0.0
            line = progress_line(done, done + counts["due"], rate=rate, dead=counts["dead"],
                                 later=counts["queued"] - counts["due"])
            sys.stderr.write(("\r\x1b[K" + line) if tty else line + "\n")
            sys.stderr.flush()
            if counts["due"] == 0:
                break
            await asyncio.sleep(interval)
    finally:
        if tty:
            sys.stderr.write("\n")
    return 0


def register(cli) -> None:
    """Add the domain commands to the ``hub`` command tree."""
    cli.command("migrate", "apply alembic migrations (idempotent)", _migrate, needs_db=False)
    p = cli.command("admin create", "create a local administrator account", _admin_create)
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p = cli.command("group create", "create a group", _group_create)
    p.add_argument("slug", help="lower-case handle part: @SLUG@domain")
    p.add_argument("--name", required=True)
    p.add_argument("--summary")
    p.add_argument("--closed", action="store_true", help="organisers approve each join")
    p.add_argument("--private", action="store_true", help="members-only posts, not listed (implies --closed)")
    p.add_argument("--owner", help="HANDLE of a known account to make owner")
    p = cli.command("group list", "list the hub's groups", _group_list)
    p.add_argument("--json", action="store_true")
    p = cli.command("member list", "list a group's members and join requests", _member_list)
    p.add_argument("slug")
    p.add_argument("--json", action="store_true")
    p = cli.command("member approve", "approve a pending join request", _member_approve)
    p.add_argument("slug")
    p.add_argument("handle")
    p = cli.command("member remove", "remove (or ban) a member", _member_remove)
    p.add_argument("slug")
    p.add_argument("handle")
    p.add_argument("--ban", action="store_true", help="refuse the account's future follows and posts")
    p.add_argument("--reason", help="why (shown in the moderation log and sent with the Block)")
    p.add_argument("--until", type=parse_until, metavar="ISO_OR_DURATION", help="end of a ban: 2025-06-01T12:00 or 7d")
    p.add_argument("--remove-posts", action="store_true", help="with --ban: also remove the account's posts in the group")
    p = cli.command("deliveries", "delivery queue: depth by state, oldest due, failing hosts", _deliveries)
    p.add_argument("--json", action="store_true")
    p.add_argument("--watch", action="store_true", help="redraw a progress bar every second until no delivery is due (retries later are not waited for)")
    p.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    p.add_argument("--dead", action="store_true", help="list the dead letters (deliveries given up), newest first")
    p.add_argument("--retry-dead", action="store_true", help="queue the dead letters again with a fresh schedule")
    p.add_argument("--host", help="with --dead or --retry-dead: only deliveries to this server")
    p.add_argument("--limit", type=int, default=100, help="with --dead: how many to list (default 100)")
