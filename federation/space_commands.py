"""CLI for shared spaces: ``hub collaboration list|show|start|leave|moderator|remove|ban`` and ``hub group relay``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from federation.collab_commands import group_and_target
from federation.context import Federation, with_federation
from federation.features.collaboration import account_of, start_collaboration
from federation.local_groups import local_group_account
from hub.errors import NotFound
from hub.models import Account, GroupFollow
from hub.services import collaborations, groups, spaces
from hub.services.members import find_account
from hub.settings import Settings
from hub.terminal import print_json, print_table



def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _rows(fed: Federation) -> list[dict]:
    """Every space hosted here or joined by a local group, as plain values."""
    out = []
    for collab in await spaces.hosted():
        space = await local_group_account(fed, collab.group)
        out.append({
            "space": space.uri, "name": collab.group.name, "slug": collab.group.slug, "role": "host",
            "group": collab.host_group.slug, "hashtag": collab.hashtag, "description": collab.group.summary,
            "ends_at": _when(collab.ends_at), "open": spaces.is_open(collab),
            "partners": [a.uri for a in await collaborations.partners(collab)],
            "moderators": [{"partner": m.partner.uri, "moderator": m.moderator.uri} for m in await spaces.moderators_of(space)],
        })
    for follow in await spaces.joined():
        out.append({
            "space": follow.target.uri, "name": follow.target.display_name or follow.target.uri, "slug": None,
            "role": "partner", "group": follow.group.slug, "hashtag": None, "description": None, "ends_at": None,
            "open": follow.state == "accepted", "relay": follow.relay, "relay_hashtag": follow.hashtag,
            "moderators": [{"partner": m.partner.uri, "moderator": m.moderator.uri} for m in await spaces.moderators_of(follow.target)],
        })
    return out


@with_federation
async def _list(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    rows = await _rows(fed)
    if args.json:
        print_json(rows)
    else:
        print_table([(r["name"], r["role"], r["group"], r["hashtag"] or "", r["ends_at"] or "", "open" if r["open"] else "closed", r["space"])
                     for r in rows], ["name", "role", "group", "hashtag", "ends", "state", "space"])
    return 0


@with_federation
async def _show(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    rows = await _rows(fed)
    ref = args.space.lower()
    found = [r for r in rows if ref in {r["space"].lower(), (r["slug"] or "").lower(), r["name"].lower()}]
    if not found:
        raise NotFound(f"no collaboration {args.space!r} on this hub (see `hub collaboration list`)")
    if args.json:
        print_json(found[0])
        return 0
    for key, value in found[0].items():
        if isinstance(value, list):
            print(f"{key}:")
            for item in value:
                print(f"  {item if isinstance(item, str) else ' named by '.join((item['moderator'], item['partner']))}")
        else:
            print(f"{key}: {'' if value is None else value}")
    return 0


def end_date(value: str) -> datetime:
    """``--ends``: a date (YYYY-MM-DD, UTC) or an ISO date and time; a usage error otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (use YYYY-MM-DD)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@with_federation
async def _start(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    host = await groups.get_group(args.slug)
    collab = await start_collaboration(fed, host, args.name, description=args.description or "", hashtag=args.hashtag, ends_at=args.ends)
    print(f"collaboration {collab.hashtag!r} hosted by {host.slug}: {fed.urls.group((await collab.group).slug)}")
    return 0


async def _partner_side(fed: Federation, args: argparse.Namespace):
    group = await groups.get_group(args.slug)
    space = await account_of(fed, args.space)
    return group, space, await local_group_account(fed, group)


@with_federation
async def _leave(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, space, partner = await _partner_side(fed, args)
    await spaces.leave(group, space, partner)
    print(f"{group.slug} left {space.handle or space.uri}; the Undo is queued")
    return 0


@with_federation
async def _moderator(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, space, partner = await _partner_side(fed, args)
    moderator = await _person(fed, args.moderator)
    await spaces.name_moderator(group, space, partner, moderator)
    print(f"{moderator.handle or moderator.uri} moderates {space.handle or space.uri} for {group.slug}")
    return 0


async def _moderating_side(fed: Federation, args: argparse.Namespace):
    """:func:`_partner_side` and the moderator acting for the partner (``--by``)."""
    return *await _partner_side(fed, args), await _person(fed, args.by)


async def _person(fed: Federation, ref: str) -> Account:
    try:
        return await find_account(ref)
    except NotFound:
        return await account_of(fed, ref)


@with_federation
async def _remove(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, space, partner, moderator = await _moderating_side(fed, args)
    withdrawn = await spaces.request_removal(group, space, partner, moderator, args.post_uri, reason=args.reason)
    print(f"removal of {args.post_uri} sent to {space.uri} ({len(withdrawn)} local cop(ies) removed)")
    return 0


@with_federation
async def _ban(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, space, partner, moderator = await _moderating_side(fed, args)
    await spaces.request_ban(group, space, partner, moderator, await _person(fed, args.account), reason=args.reason)
    print(f"ban of {args.account} sent to {space.uri}")
    return 0


@with_federation
async def _relay(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, target = await group_and_target(fed, args)
    row: GroupFollow = await collaborations.set_relay(group, target, args.switch == "on", hashtag=args.hashtag)
    tag = f"#{row.hashtag}" if row.hashtag else "every post"
    print(f"{group.slug} relays {target.handle or target.uri}: {'on' if row.relay else 'off'} ({tag})")
    return 0


def register(cli) -> None:
    """Add the shared-space commands to the ``hub`` command tree."""
    p = cli.command("collaboration list", "list the collaborations hosted here and those local groups take part in", _list)
    p.add_argument("--json", action="store_true")
    p = cli.command("collaboration show", "show one collaboration: partners, hashtag, end date, moderators", _show)
    p.add_argument("space", metavar="NAME_SLUG_OR_URL")
    p.add_argument("--json", action="store_true")
    p = cli.command("collaboration start", "start a collaboration hosted by a local group", _start)
    p.add_argument("slug")
    p.add_argument("name")
    p.add_argument("--description")
    p.add_argument("--hashtag", help="partners' posts with this hashtag are shared into the space (default: from the name)")
    p.add_argument("--ends", type=end_date, metavar="YYYY-MM-DD", help="after this date the space shares nothing more")
    p = cli.command("collaboration leave", "a local partner group leaves a collaboration", _leave)
    p.add_argument("slug")
    p.add_argument("space", metavar="HANDLE_OR_URL")
    p = cli.command("collaboration moderator", "a local partner group names a moderator of a collaboration", _moderator)
    p.add_argument("slug")
    p.add_argument("space", metavar="HANDLE_OR_URL")
    p.add_argument("moderator", metavar="HANDLE_OR_URL")
    for verb, fn, what, help_text in (("remove", _remove, "post_uri", "a named moderator removes a post from the collaboration everywhere"),
                                      ("ban", _ban, "account", "a named moderator bans an account from the collaboration")):
        p = cli.command(f"collaboration {verb}", help_text, fn)
        p.add_argument("slug")
        p.add_argument("space", metavar="HANDLE_OR_URL")
        p.add_argument(what)
        p.add_argument("--by", required=True, metavar="MODERATOR", help="the moderator your group named")
        p.add_argument("--reason")
    p = cli.command("group relay", "switch relaying of a followed group on or off, or filter it by hashtag", _relay)
    p.add_argument("slug")
    p.add_argument("target", metavar="HANDLE_OR_URL")
    p.add_argument("switch", choices=("on", "off"), help="re-announce its posts to this group's members, or not")
    p.add_argument("--hashtag", help="relay only posts with one of these hashtags (space-separated; '' relays every post; unchanged when not given)")
