"""The administrators' commands, the same services as the console's (/console/admin):

    hub admin list [--json]                     the hub's administrators
    hub admin grant NAME                        appoint a local user name or a known @user@server
    hub admin revoke NAME [--reason TEXT]       never the last administrator
    hub group suspend SLUG --reason TEXT        410 pages, nothing federates but an Update marked suspended
    hub group unsuspend SLUG [--reason TEXT]
    hub group creation [open|closed]            who may create groups (shows the current choice without one)

Done as the hub's operator (``by=None``) and written to the moderation log.
"""

from __future__ import annotations

import argparse

from hub.services import administration, instance, suspension
from hub.settings import Settings
from hub.terminal import print_json, print_table


async def _admin_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = [{"id": a.id, "name": administration.who(a), "uri": a.uri, "local": a.is_local}
            for a in await administration.list_admins()]
    if args.json:
        print_json(rows)
    else:
        print_table([(r["name"], "local" if r["local"] else "fediverse", r["uri"]) for r in rows], ["administrator", "kind", "id"])
    return 0


async def _admin_grant(args: argparse.Namespace, settings: Settings) -> int:
    account = await administration.grant_admin(args.name, by=None)
    print(f"{administration.who(account)} is now an administrator")
    return 0


async def _admin_revoke(args: argparse.Namespace, settings: Settings) -> int:
    account = await administration.find_person(args.name)
    await administration.revoke_admin(account.id, by=None, reason=args.reason)
    print(f"{administration.who(account)} is no longer an administrator")
    return 0


async def _suspend(args: argparse.Namespace, settings: Settings) -> int:
    group = await suspension.suspend(await administration.find_group(args.slug), by=None, reason=args.reason or "")
    print(f"suspended {group.slug}: its pages answer 410; the Update marking it suspended is queued")
    return 0


async def _unsuspend(args: argparse.Namespace, settings: Settings) -> int:
    group = await suspension.unsuspend(await administration.find_group(args.slug), by=None, reason=args.reason)
    print(f"lifted the suspension of {group.slug}; the Update is queued")
    return 0


async def _creation(args: argparse.Namespace, settings: Settings) -> int:
    if args.choice is not None:
        await instance.set_open_group_creation(args.choice == "open", by=None)
    is_open = await instance.open_group_creation(settings.open_group_creation)
    print("group creation: " + ("open to anyone signed in from the fediverse" if is_open else "administrators only"))
    return 0


def register(cli) -> None:
    """Add the administrators' commands to the ``hub`` command tree."""
    p = cli.command("admin list", "the hub's administrators", _admin_list)
    p.add_argument("--json", action="store_true")
    p = cli.command("admin grant", "make a known account an administrator", _admin_grant)
    p.add_argument("name", help="a local user name or @user@server of an account the hub knows")
    p = cli.command("admin revoke", "take the administrator role from an account (never the last one)", _admin_revoke)
    p.add_argument("name", help="a local user name or @user@server")
    p.add_argument("--reason")
    p = cli.command("group suspend", "suspend a group: pages answer 410, it federates nothing more until lifted", _suspend)
    p.add_argument("slug")
    p.add_argument("--reason", required=True, help="why (shown on the group's pages)")
    p = cli.command("group unsuspend", "lift a group's suspension", _unsuspend)
    p.add_argument("slug")
    p.add_argument("--reason")
    p = cli.command("group creation", "who may create groups: open (anyone signed in) or closed (administrators)", _creation)
    p.add_argument("choice", nargs="?", choices=["open", "closed"])
