"""CLI for relays (registered by the composition root, causeway.cli):

    hub relay follow RELAY_ACTOR_URL     the instance actor follows the relay (Follow of Public)
    hub relay unfollow RELAY_ACTOR_URL
    hub relay list [--json]
"""

from __future__ import annotations

import argparse

from federation.context import Federation, with_federation
from federation.features.relays import subscribe
from hub.services import relays
from hub.settings import Settings
from hub.terminal import print_json, print_table


@with_federation
async def _follow(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    row = await subscribe(fed, args.actor)
    print(f"following the relay {row.actor_uri}; the Follow is queued (state: {row.state})")
    return 0


async def _unfollow(args: argparse.Namespace, settings: Settings) -> int:
    row = await relays.unfollow(args.actor)
    print(f"no longer following the relay {row.actor_uri}")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    rows = [{"actor": r.actor_uri, "inbox": r.inbox, "state": r.state, "since": r.created_at.isoformat()}
            for r in await relays.list_relays()]
    if args.json:
        print_json(rows)
    else:
        print_table([(r["actor"], r["state"], r["since"][:19]) for r in rows], ["relay", "state", "since"])
    return 0


def register(cli) -> None:
    """Add the relay commands to the ``hub`` command tree."""
    p = cli.command("relay follow", "subscribe the hub to an ActivityPub relay", _follow)
    p.add_argument("actor", help="the relay's actor URL")
    p = cli.command("relay unfollow", "stop following a relay", _unfollow)
    p.add_argument("actor")
    p = cli.command("relay list", "the hub's relays and their state", _list)
    p.add_argument("--json", action="store_true")
