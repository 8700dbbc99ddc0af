"""CLI for events (gatherings: a group's events, not the outbox's domain events), loaded through the
``causeway.cli`` entry point ``gatherings``:

    hub event create GROUP --title T --starts 2026-12-12T18:00 --ends 2026-12-12T20:00 --timezone Europe/Lisbon
                     [--description TEXT] [--place NAME] [--street S] [--postal-code P] [--locality TOWN] [--region R]
                     [--country C] [--latitude LAT --longitude LON] [--online-url URL] [--capacity N] [--approval]
                     [--remind MINUTES ...] [--image FILE --alt TEXT]
    hub event edit ID [the same options, each optional] [--no-capacity] [--open]
    hub event cancel ID
    hub event list GROUP [--all] [--json]
    hub event approve|refuse ID HANDLE

Times are read in ``--timezone`` (an IANA name) unless they carry an offset. Bad values are refused
with a message and nothing is stored (exit 1; malformed arguments exit 2).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime

from hub.campaign_commands import image_from_file
from hub.services import gatherings, groups, rsvps
from hub.services.gatherings import Details
from hub.settings import Settings
from hub.terminal import print_json, print_table

PLACE_OPTIONS = {"place": "name", "street": "street", "postal_code": "postal_code", "locality": "locality",
                 "region": "region", "country": "country", "latitude": "latitude", "longitude": "longitude"}


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date and time: write YYYY-MM-DDTHH:MM") from None


def _details(args: argparse.Namespace, base: Details) -> Details:
    """``base`` with every option given on the command line."""
    place = replace(base.place, **{field: getattr(args, option) for option, field in PLACE_OPTIONS.items()
                                   if getattr(args, option) is not None})
    changes = {key: getattr(args, key) for key in ("title", "starts", "ends", "timezone", "description", "online_url", "capacity")
               if getattr(args, key) is not None}
    if getattr(args, "no_capacity", False):
        changes["capacity"] = None
    if args.approval:
        changes["join_mode"] = "restricted"
    elif getattr(args, "open", False):
        changes["join_mode"] = "free"
    if args.remind is not None:
        changes["remind_before"] = tuple(args.remind)
    return replace(base, place=place, **changes)


def _local_naive(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(gatherings.time_zone(zone)).replace(tzinfo=None)


async def _create(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    base = Details(title="", starts=args.starts, ends=args.ends, timezone=args.timezone)
    details = _details(args, base)
    image = await image_from_file(settings, args.image, args.alt) if args.image else None
    # Everything is checked before the image is stored, so a refused event leaves nothing behind.
    gatherings.check_details(details)
    gathering = await gatherings.create_gathering(group, details, image=image)
    print(f"created event #{gathering.id} at {settings.base_url}/groups/{group.slug}/events/{gathering.id}; "
          "it is queued for the members")
    return 0


async def _edit(args: argparse.Namespace, settings: Settings) -> int:
    gathering = await gatherings.get_gathering(args.event_id)
    base = gatherings.details_of(gathering)
    # Times typed without an offset are read in the (possibly new) time zone.
    zone = args.timezone or base.timezone
    base = replace(base, starts=_local_naive(base.starts, zone), ends=_local_naive(base.ends, zone))
    details = _details(args, base)
    gatherings.check_details(details, require_future=False)
    image = await image_from_file(settings, args.image, args.alt) if args.image else None
    changed = await gatherings.edit_gathering(gathering, details, image=image)
    print(f"event #{gathering.id}: " + (f"changed {', '.join(changed)}; the Update is queued" if changed else "nothing changed"))
    return 0


async def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    gathering = await gatherings.cancel_gathering(await gatherings.get_gathering(args.event_id))
    print(f"cancelled event #{gathering.id}; people going are told by direct message")
    return 0


def _who(rows) -> list[str]:
    return [r.account.handle or r.account.uri for r in rows]


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    out = []
    for g in await gatherings.list_gatherings(group, upcoming=not args.all):
        tally, people = await rsvps.counts(g), await rsvps.people(g)
        out.append({
            "id": g.id, "title": g.title, "state": g.state, "starts": g.starts_at.isoformat(), "ends": g.ends_at.isoformat(),
            "timezone": g.timezone, "when": gatherings.local_when(g), "where": gatherings.where(g), "capacity": g.capacity,
            "join_mode": g.join_mode, "going": tally.going, "maybe": tally.maybe, "waiting": tally.waiting,
            "pending": tally.pending, "declined": tally.declined, "remind_before": g.remind_before,
            "people": {status: _who(rows) for status, rows in people.items()},
            "url": f"{settings.base_url}/groups/{group.slug}/events/{g.id}",
        })
    if args.json:
        print_json(out)
    else:
        print_table([(r["id"], r["title"], r["when"], r["state"], f"{r['going']}/{r['capacity'] or '-'}", r["waiting"])
                     for r in out], ["id", "title", "when", "state", "going", "waiting"])
    return 0


async def _decide(args: argparse.Namespace, settings: Settings) -> int:
    gathering = await gatherings.get_gathering(args.event_id)
    row = await rsvps.find_rsvp(gathering, args.handle)
    decided = await (rsvps.approve if args.decision == "approve" else rsvps.refuse)(gathering, row)
    print(f"event #{gathering.id}: {args.handle} is {decided.status}")
    return 0


def _event_options(p: argparse.ArgumentParser, *, creating: bool) -> None:
    p.add_argument("--title", required=creating)
    p.add_argument("--starts", type=_moment, required=creating, help="start, in --timezone unless it has an offset")
    p.add_argument("--ends", type=_moment, required=creating, help="end, in --timezone unless it has an offset")
    p.add_argument("--timezone", required=creating, help="IANA time zone, such as Europe/Lisbon")
    p.add_argument("--description")
    p.add_argument("--place", help="the name of the place")
    p.add_argument("--street")
    p.add_argument("--postal-code")
    p.add_argument("--locality", help="town or city")
    p.add_argument("--region")
    p.add_argument("--country")
    p.add_argument("--latitude", type=float)
    p.add_argument("--longitude", type=float)
    p.add_argument("--online-url", help="an http(s) link to join online")
    p.add_argument("--capacity", type=int, help="places (default: no limit); more answers go on a waiting list")
    p.add_argument("--approval", action="store_true", help="organisers approve each participant")
    p.add_argument("--remind", type=int, nargs="*", metavar="MINUTES", help="reminders, minutes before the start (default 1440 60)")
    p.add_argument("--image", help="an image file (PNG, JPEG, GIF, WebP; at most 5 MiB)")
    p.add_argument("--alt", help="the image's description (required with --image)")


def register(cli) -> None:
    """Add the ``event`` commands to the ``hub`` command tree."""
    p = cli.command("event create", "create an event of a group (federated as an Event and a poll)", _create)
    p.add_argument("group")
    _event_options(p, creating=True)
    p = cli.command("event edit", "change an event (a new time or place is sent to people going)", _edit)
    p.add_argument("event_id", type=int)
    _event_options(p, creating=False)
    p.add_argument("--no-capacity", action="store_true", help="remove the limit on places")
    p.add_argument("--open", action="store_true", help="no approval: anyone who answers is going")
    p = cli.command("event cancel", "cancel an event", _cancel)
    p.add_argument("event_id", type=int)
    p = cli.command("event list", "a group's events with their counts", _list)
    p.add_argument("group")
    p.add_argument("--all", action="store_true", help="past events too")
    p.add_argument("--json", action="store_true")
    for decision in ("approve", "refuse"):
        p = cli.command(f"event {decision}", f"{decision} an answer awaiting approval", _decide)
        p.add_argument("event_id", type=int)
        p.add_argument("handle", help="@name@host or actor URL of the person")
        p.set_defaults(decision=decision)
