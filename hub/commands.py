"""The domain's CLI commands: migrate, backup, restore, admin, group create/list/edit/delete, member list/approve/remove, deliveries (--watch, --dead)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub import migrations
from hub.backup import write_backup
from hub.clock import now
from hub.errors import InvalidInput
from hub.restore import restore_backup
from hub.services import accounts, group_settings, groups, instance, members, moderation, profiles
from hub.services.queue_stats import dead_deliveries, delivery_stats, queue_counts, retry_dead
from hub.settings import Settings
from hub.terminal import print_json, print_table, progress_line, read_password


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    print(migrations.upgrade(settings.database_url).describe())
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.path)
    summary = write_backup(settings, path)
    print(f"backup written to {path} ({path.stat().st_size / 1024:,.0f} KiB): {summary.database} database at schema "
          f"{summary.schema_revision} with {summary.groups} groups, {summary.media} media files"
          + (", the secret key" if "secret.key" in summary.files else ""))
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    restored = restore_backup(settings, Path(args.path))
    print(f"restored the backup of {restored.domain} made {restored.created_at}: {restored.groups} groups, "
          f"{restored.media} media files; the database is at the latest schema")
    if restored.domain != settings.domain:
        print(f"warning: HUB_DOMAIN is {settings.domain} but the backup is of {restored.domain}; groups keep their ids "
              f"only under their own domain: set HUB_DOMAIN={restored.domain}", file=sys.stderr)
    return 0


async def _media_clean(args: argparse.Namespace, settings: Settings) -> int:
    cleaned, dropped = await profiles.clean_stored_avatars(settings.data_dir)
    print(f"re-encoded {cleaned} avatars without metadata" + (f"; dropped {dropped} that were not readable images" if dropped else ""))
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
    if any(value is not None for value in (args.language, args.time_zone, args.city, args.country)):
        await profiles.update_settings(group, by=None, language=args.language, time_zone=args.time_zone,
                                       city=args.city, country=args.country)
    print(f"created @{group.slug}@{settings.domain} at {settings.base_url}/groups/{group.slug}")
    return 0


def _add_settings_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", help="the group's language for messages to people whose own is unknown: "
                                      "en, es, pt, de, sw or ar")
    p.add_argument("--time-zone", help="IANA time zone of the group's pages, e.g. Europe/Lisbon")
    p.add_argument("--city", help="the city the group works in (shown on collaboration maps); empty to clear")
    p.add_argument("--country", help="two-letter ISO 3166 code of the group's country, e.g. PT; empty to clear")


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


async def _group_edit(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    values = {"name": args.name, "summary": args.summary, "rules": args.rules, "posting_mode": args.posting_mode,
              "access": args.access}
    place = {"language": args.language, "time_zone": args.time_zone, "city": args.city, "country": args.country}
    if all(value is None for value in (*values.values(), *place.values())):
        print("hub group edit: nothing to change: give --name, --summary, --rules, --posting-mode, --access, "
              "--language, --time-zone, --city or --country", file=sys.stderr)
        return 2
    await profiles.check_settings(group, **place)  # refused before anything changes
    if any(value is not None for value in values.values()):
        if args.access is not None:
            change = await group_settings.preview_access(group, args.access)
            if change.hides_public_posts:
                print(f"note: {change.public_posts} public posts stay public on the servers that received them; "
                      "the hub's pages now show them to members only, and new posts are for members only")
            elif change.changes and change.current == "private":
                print(f"note: {change.members_posts} members-only posts stay members-only; new posts are public")
        await group_settings.edit(group, by=None, **values)
        print(f"updated {group.slug} ({group_settings.access_of(group)}); the Update is queued")
    if any(value is not None for value in place.values()):
        group = await profiles.update_settings(await groups.get_group(args.slug), by=None, **place)
        where = ", ".join(part for part in (group.city, group.country) if part) or "no place"
        print(f"{group.slug}: language {group.language}, time zone {group.time_zone}, {where}; the profile update is queued")
    return 0


async def _group_delete(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    if args.confirm != group.slug:
        print(f"hub group delete: to delete {group.slug} for good, repeat its slug: --confirm {group.slug}", file=sys.stderr)
        return 2
    told = await group_settings.delete_group(group, by=None)
    print(f"deleted {group.slug}: {told} members will be told; the Delete is queued and its pages answer 410")
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
        retried = await retry_dead(host=args.host, group_actor=lambda slug: f"{settings.base_url}/groups/{slug}")
        print(f"queued {retried.queued} dead deliveries again" + (f" to {args.host}" if args.host else ""))
        if retried.held:
            print(f"skipped {retried.held} signed by suspended groups: nothing they signed goes out while the suspension lasts")
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
    p = cli.command("backup", "write a consistent snapshot of the database, media and key file (the hub keeps running)",
                    _backup, needs_db=False)
    p.add_argument("path", help="archive file to write (must not exist), e.g. causeway-2026-12-04.tar.gz")
    p = cli.command("restore", "restore a backup into an empty HUB_DATA_DIR and an empty database", _restore, needs_db=False)
    p.add_argument("path", help="archive written by `hub backup`")
    cli.command("media clean", "re-encode the groups' stored avatars without metadata (once, after upgrading)", _media_clean)
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
    _add_settings_arguments(p)
    p = cli.command("group list", "list the hub's groups", _group_list)
    p.add_argument("--json", action="store_true")
    p = cli.command("group edit", "change a group's profile, access, language, time zone or place (only the options given)",
                    _group_edit)
    p.add_argument("slug")
    p.add_argument("--name")
    p.add_argument("--summary")
    p.add_argument("--rules")
    p.add_argument("--posting-mode", choices=groups.POSTING_MODES)
    p.add_argument("--access", choices=tuple(group_settings.ACCESS_MODES),
                   help="open: anyone joins; closed: organisers approve; private: members-only posts, approval")
    _add_settings_arguments(p)
    p = cli.command("group delete", "delete a group: members are told, its actor's Delete federates, pages answer 410",
                    _group_delete)
    p.add_argument("slug")
    p.add_argument("--confirm", metavar="SLUG", help="the group's slug again, to confirm")
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
