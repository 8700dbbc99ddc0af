"""CLI for organisers speaking as the group (registered by the composition root, causeway.cli):

    hub announcement post GROUP TEXT [--summary CW] [--image FILE --alt TEXT]...
    hub announcement edit ID TEXT [--summary CW]
    hub announcement delete ID
    hub announcement pin|unpin ID
    hub announcement list GROUP [--json]
    hub organiser waiting GROUP [--json]           join requests, reports, held and gathered posts waiting

Each ``--image`` needs its own ``--alt`` (in the same order). What is published, edited, deleted,
pinned or unpinned is queued for members' servers; ``hub serve`` (or ``hub worker``) sends it.
"""

from __future__ import annotations

import argparse

from hub.campaign_commands import image_from_file
from hub.errors import InvalidInput, NotFound
from hub.models import Announcement, Group
from hub.services import announcements, attention, groups
from hub.settings import Settings
from hub.terminal import print_json, print_table


async def _find(announcement_id: int) -> Announcement:
    row = await Announcement.get_or_none(id=announcement_id)
    if row is None:
        raise NotFound(f"no announcement #{announcement_id}")
    return row


async def _post(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    files, alts = args.image or [], args.alt or []
    if len(files) != len(alts):
        raise InvalidInput("give one --alt describing each --image, in the same order")
    images = [await image_from_file(settings, path, alt) for path, alt in zip(files, alts, strict=True)]
    row = await announcements.publish(group, args.text, summary=args.summary, images=images)
    print(f"announcement #{row.id} published as {group.slug}; it is queued for the members' servers")
    return 0


async def _edit(args: argparse.Namespace, settings: Settings) -> int:
    row = await _find(args.announcement_id)
    await announcements.edit(row, args.text, summary=args.summary)
    print(f"announcement #{row.id} edited; the Update is queued")
    return 0


async def _delete(args: argparse.Namespace, settings: Settings) -> int:
    row = await _find(args.announcement_id)
    await announcements.delete(row)
    print(f"announcement #{row.id} deleted; the Delete is queued")
    return 0


async def _pin(args: argparse.Namespace, settings: Settings) -> int:
    row = await _find(args.announcement_id)
    await announcements.set_pinned(row, args.pinned)
    print(f"announcement #{row.id} {'pinned' if args.pinned else 'unpinned'}")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    rows = [{"id": a.id, "text": a.text, "summary": a.summary, "pinned": a.pinned, "images": len(a.media_ids or []),
             "object": a.object_uri, "created_at": a.created_at.isoformat(),
             "edited_at": a.edited_at.isoformat() if a.edited_at else None} for a in await announcements.list_announcements(group)]
    if args.json:
        print_json(rows)
    else:
        print_table([(r["id"], "yes" if r["pinned"] else "", r["text"][:60]) for r in rows], ("id", "pinned", "text"))
    return 0


async def _waiting(args: argparse.Namespace, settings: Settings) -> int:
    group: Group = await groups.get_group(args.group)
    counts = await attention.waiting(group)
    data = {"join_requests": counts.join_requests, "reports": counts.reports, "held_posts": counts.held_posts,
            "gathered_posts": counts.gathered_posts}
    if args.json:
        print_json(data)
    else:
        print_table([(k.replace("_", " "), v) for k, v in data.items()], ("waiting", "count"))
    return 0


def register(cli) -> None:
    """Add the announcement and organiser commands to the ``hub`` command tree."""
    p = cli.command("announcement post", "post as the group: sent to every member's server", _post)
    p.add_argument("group", help="the group's slug")
    p.add_argument("text", help="the announcement (blank lines separate paragraphs)")
    p.add_argument("--summary", help="a content warning shown before the text")
    p.add_argument("--image", action="append", help="an image file (PNG, JPEG, GIF, WebP; at most 5 MiB); up to 4")
    p.add_argument("--alt", action="append", help="the description of the --image before it (alt text)")
    p = cli.command("announcement edit", "change an announcement's text and content warning (an Update)", _edit)
    p.add_argument("announcement_id", type=int)
    p.add_argument("text")
    p.add_argument("--summary", help="the content warning (omit: none)")
    p = cli.command("announcement delete", "delete an announcement (a Delete)", _delete)
    p.add_argument("announcement_id", type=int)
    p = cli.command("announcement pin", "pin an announcement on the group's pages and featured collection", _pin)
    p.add_argument("announcement_id", type=int)
    p.set_defaults(pinned=True)
    p = cli.command("announcement unpin", "unpin an announcement", _pin)
    p.add_argument("announcement_id", type=int)
    p.set_defaults(pinned=False)
    p = cli.command("announcement list", "a group's announcements", _list)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p = cli.command("organiser waiting", "what waits for a group's organisers", _waiting)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
