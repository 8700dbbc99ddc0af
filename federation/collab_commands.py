"""CLI for groups working with groups: ``hub group follow|unfollow`` and ``hub invite send|list|accept|reject|revoke``."""

from __future__ import annotations

import argparse
import uuid

from federation.features.collaboration import account_of, send_invite
from federation.context import Federation, with_federation
from hub.models import Account, Group
from hub.services import collaborations, groups, invites
from hub.settings import Settings
from hub.terminal import print_json, print_table



async def group_and_target(fed: Federation, args: argparse.Namespace) -> tuple[Group, Account]:
    """The local group ``args.slug`` names and the actor ``args.target`` names (a handle or URL, fetched when new)."""
    return await groups.get_group(args.slug), await account_of(fed, args.target)


@with_federation
async def _group_follow(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, target = await group_and_target(fed, args)
    follow_uri = fed.urls.group_activity(group.slug, "follow", uuid.uuid4().hex)
    await collaborations.follow_group(group, target, follow_uri=follow_uri, relay=args.relay)
    print(f"{group.slug} follows {target.handle or target.uri} (relay to members: {'yes' if args.relay else 'no'}); the Follow is queued")
    return 0


@with_federation
async def _group_unfollow(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, target = await group_and_target(fed, args)
    await collaborations.unfollow_group(group, target)
    print(f"{group.slug} no longer follows {target.handle or target.uri}")
    return 0


@with_federation
async def _invite_send(args: argparse.Namespace, settings: Settings, fed: Federation) -> int:
    group, target = await group_and_target(fed, args)
    invite = await send_invite(fed, group, target, collaboration=args.collaboration, message=args.message)
    print(f"invite #{invite.id} to {target.handle or target.uri} queued (expires {invite.expires_at:%Y-%m-%d})")
    return 0


def _state_shown(row: dict) -> str:
    """An invite's state, and what was sent instead of an Invite its receiver's software would ignore."""
    if row["sent_as"] == "follow" and row["state"] == "pending":
        return "pending: sent as a follow; moderators told"
    return row["state"]


async def _invite_list(args: argparse.Namespace, settings: Settings) -> int:
    group = await groups.get_group(args.slug) if args.slug else None
    rows = await invites.list_invites(group)
    data = [
        {"id": i.id, "group": i.group.slug, "direction": i.direction, "kind": i.kind, "counterpart": i.counterpart.uri,
         "counterpart_handle": i.counterpart.handle, "object": i.object_uri, "object_name": i.object_name,
         "state": i.state, "sent_as": "follow" if i.follow_id is not None else "invite", "invite_uri": i.invite_uri, "expires_at": i.expires_at.isoformat(), "message": i.message}
        for i in rows
    ]
    if args.json:
        print_json(data)
    else:
        print_table([(d["id"], d["group"], d["direction"], d["kind"], d["counterpart_handle"] or d["counterpart"],
                      d["object_name"] or d["object"], _state_shown(d)) for d in data],
                    ["id", "group", "direction", "kind", "with", "for", "state"])
    return 0


def _answer(action):
    async def handler(args: argparse.Namespace, settings: Settings) -> int:
        invite = await invites.get(args.invite_id)
        await action(invite)
        print(f"invite #{invite.id} is now {invite.state}")
        return 0

    return handler


def register(cli) -> None:
    """Add the collaboration commands to the ``hub`` command tree."""
    p = cli.command("group follow", "make a group follow another group (local or remote)", _group_follow)
    p.add_argument("slug")
    p.add_argument("target", metavar="HANDLE_OR_URL")
    p.add_argument("--relay", action="store_true", help="re-announce the followed group's posts to this group's members")
    p = cli.command("group unfollow", "stop following a group", _group_unfollow)
    p.add_argument("slug")
    p.add_argument("target", metavar="HANDLE_OR_URL")
    p = cli.command("invite send", "invite a group to a collaboration (--collaboration) or a person to a group", _invite_send)
    p.add_argument("slug")
    p.add_argument("target", metavar="HANDLE_OR_URL")
    p.add_argument("--collaboration", metavar="NAME", help="the collaboration to invite a group to (created if new)")
    p.add_argument("--message", help="a personal note sent with the invite")
    p = cli.command("invite list", "list invites sent and received", _invite_list)
    p.add_argument("slug", nargs="?")
    p.add_argument("--json", action="store_true")
    for verb, action, text in (("accept", invites.accept, "accept an invite your group received"),
                               ("reject", invites.reject, "decline an invite your group received"),
                               ("revoke", invites.revoke, "withdraw an invite your group sent")):
        p = cli.command(f"invite {verb}", text, _answer(action))
        p.add_argument("invite_id", type=int, metavar="INVITE_ID")
