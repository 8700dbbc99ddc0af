"""CLI for moving a group between hubs: ``hub group export|import|move`` (README "Moving a group to another hub").

Export and import are the domain's (hub.group_archive); this layer adds what needs the wire: the
group's actor id (the archive names it, the new group lists it in ``alsoKnownAs``) and, for
``move``, the fetch of the new actor that must name the old one before anything changes.
Refusals exit 1 with the reason on stderr and change nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from federation.context import build_federation
from federation.features.moving import verified_target
from federation.urls import Urls
from hub import group_archive
from hub.migrations import revision_graph
from hub.services import groups, moves
from hub.settings import Settings


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    group = await group_archive.exported_group(args.slug)
    known, heads = revision_graph()
    done = await group_archive.export_group(
        group, origin=Urls(settings.base_url).group(group.slug), schema_revision=sorted(heads)[0],
        data_dir=Path(settings.data_dir), path=Path(args.path),
    )
    rows = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in done.rows.items() if count)
    print(f"exported {done.slug} ({done.origin}) to {args.path}: {rows or 'no rows'}, {done.files} file(s); "
          "the archive holds the group's private key: keep it safe, then `hub group import` it on the new hub")
    return 0


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    known, _ = revision_graph()
    done = await group_archive.import_group(Path(args.path), data_dir=Path(settings.data_dir), known_revisions=set(known),
                                            slug=args.slug)
    new = Urls(settings.base_url).group(done.group.slug)
    skipped = f" ({done.skipped} row(s) of local logins left out)" if done.skipped else ""
    print(f"imported {done.group.slug} as {new}, also known as {done.origin}: {done.rows.get('memberships', 0)} "
          f"membership(s), {done.rows.get('posts', 0)} post(s){skipped}. On the old hub run: hub group move "
          f"{done.origin.rstrip('/').rsplit('/', 1)[-1]} {new}")
    return 0


async def _move(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug)
    fed = build_federation(settings)
    try:
        document = await verified_target(fed, fed.urls.group(group.slug), args.target)
    finally:
        await fed.close()
    await moves.mark_moved(group, document["id"])
    print(f"{group.slug} moved to {document['id']}: its members' servers are sent a Move (the worker delivers it), "
          "its pages now redirect there")
    return 0


def register(cli) -> None:
    """Add ``hub group export|import|move``."""
    p = cli.command("group export", "write a group (profile, keys, members and roles, posts, moderation log, campaigns, "
                    "calls, events, decisions, library) to a portable archive", _export)
    p.add_argument("slug")
    p.add_argument("path", help="archive file to write (must not exist), e.g. climate.causeway-group.tar.gz")
    p = cli.command("group import", "create a group from an archive of `hub group export` (it lists the old actor in "
                    "alsoKnownAs)", _import)
    p.add_argument("path")
    p.add_argument("--slug", help="the slug on this hub (default: the group's old slug)")
    p = cli.command("group move", "tell the group's members it moved to NEW_ACTOR_URI (which must list it in "
                    "alsoKnownAs) and redirect its pages there", _move)
    p.add_argument("slug")
    p.add_argument("target", metavar="NEW_ACTOR_URI", help="the imported group's actor id on the new hub")
