"""CLI for a group's resource library (loaded through the ``causeway.cli`` entry point ``library``):

    hub library add GROUP --title TITLE (--url URL | --file PATH [--alt TEXT] | --text TEXT) [--category C] [--text TEXT]
    hub library list GROUP [--json]
    hub library remove ID

``--url`` adds a link, ``--file`` a document (a PDF, or an image that needs ``--alt``), otherwise
``--text`` is a guide; with a link or a document ``--text`` describes it (Markdown).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.errors import InvalidInput
from hub.services import groups, library
from hub.settings import Settings
from hub.terminal import print_json, print_table


async def _add(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    upload = None
    if args.file:
        try:
            data = Path(args.file).read_bytes()[: library.MAX_PDF_BYTES + 1]
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from None
        upload = library.Upload(data, alt=args.alt or "")
    kind = "link" if args.url else "document" if args.file else "guide"
    entry = await library.add_entry(group, data_dir=settings.data_dir, kind=kind, title=args.title, category=args.category or "",
                                    text=args.text or "", url=args.url, upload=upload)
    print(f"added {kind} #{entry.id} to {group.slug}'s library ({entry.category}) at "
          f"{settings.base_url}/groups/{group.slug}/library; it is queued for the members")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.group)
    base = f"{settings.base_url}/groups/{group.slug}"
    rows = []
    for entry in await library.entries(group):
        link = entry.url or (f"{base}/library/{entry.id}/file" if entry.file_name else None)
        if entry.image_id:
            link = f"{settings.base_url}/media/{entry.image.name}"
        rows.append({"id": entry.id, "kind": entry.kind, "category": entry.category, "title": entry.title, "link": link,
                     "object": entry.object_uri, "added": entry.created_at.isoformat()})
    if args.json:
        print_json(rows)
    else:
        print_table([(r["id"], r["kind"], r["category"], r["title"][:50]) for r in rows], ["id", "kind", "category", "title"])
    return 0


async def _remove(args: argparse.Namespace, settings: Settings) -> int:
    entry = await library.remove_entry(await library.get_entry(args.entry_id))
    print(f"removed #{entry.id} from the library; its deletion is queued for the members")
    return 0


def register(cli) -> None:
    """Add the library commands to the ``hub`` command tree."""
    p = cli.command("library add", "add a guide, a link or a document (PDF or image) to a group's library", _add)
    p.add_argument("group")
    p.add_argument("--title", required=True)
    p.add_argument("--category", help="the category it is listed under (default: General)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--url", help="a link (http or https)")
    source.add_argument("--file", help=f"a PDF (at most {library.MAX_PDF_BYTES // 2**20} MiB) or an image (at most 5 MiB)")
    p.add_argument("--alt", help="an image's description (required for images)")
    p.add_argument("--text", help="a guide's text, or the description of a link or document (Markdown)")
    p = cli.command("library list", "a group's library", _list)
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p = cli.command("library remove", "take an entry out of the library", _remove)
    p.add_argument("entry_id", type=int)
