"""Fill a hub's database for fault tests, in its own process (tortoise keeps one configuration per process).

    python -m tests.integration.seed members SLUG --ports 4101,4102 --per-port 10
    python -m tests.integration.seed post SLUG --number 1

``members`` creates the group if needed and adds remote members on the instances ``127.0.0.1:PORT`` (personal inboxes only, so a
post makes one delivery per member); ``post`` has the first of them post to the group through the
domain service, which records the ``post.published`` event a worker fans out. The database is the
one of ``HUB_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from tortoise.transactions import in_transaction

from hub.clock import now
from hub.db import connect, disconnect
from hub.models import Account, Group, Membership, Peer, RemoteActor
from hub.services import groups, posts
from hub.services.posts import PostDraft
from hub.settings import load_settings


async def members(slug: str, ports: list[int], per_port: int) -> int:
    """The group (created if missing) with accepted remote members, ``per_port`` on each instance; returns how many."""
    group = await Group.get_or_none(slug=slug) or await groups.create_group(slug, slug.title())
    moment = now()
    async with in_transaction():
        for port in ports:
            host = f"127.0.0.1:{port}"
            peer, _ = await Peer.get_or_create(host=host, defaults={"software": "mastodon", "nodeinfo_fetched_at": moment})
            for n in range(per_port):
                uri = f"http://{host}/users/m{n}"
                account = await Account.create(uri=uri, handle=f"m{n}@{host}")
                await RemoteActor.create(account=account, peer=peer, uri=uri, actor_type="Person", inbox=f"{uri}/inbox",
                                         key_id=f"{uri}#main-key", fetched_at=moment)
                await Membership.create(group=group, account=account, state="accepted")
    return len(ports) * per_port


async def post(slug: str, number: int) -> int:
    """The first member's public post to the group; returns its id."""
    group = await Group.get(slug=slug)
    author = await Account.filter(memberships__group=group, is_local=False).order_by("id").first()
    uri = f"{author.uri}/notes/{number}"
    draft = PostDraft(uri=uri, activity_uri=f"{uri}/activity", object_type="Note", visibility="public",
                      published_at=now() - timedelta(seconds=1), content_html=f"<p>Fault test post {number}</p>",
                      activity_json="{}")
    return (await posts.submit(group, author, draft)).post.id


async def run(args: argparse.Namespace) -> None:
    await connect(load_settings().database_url)
    try:
        if args.command == "members":
            print(await members(args.slug, [int(p) for p in args.ports.split(",")], args.per_port))
        else:
            print(await post(args.slug, args.number))
    finally:
        await disconnect()


def main() -> None:
    """Parse the command line and seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("members")
    p.add_argument("slug")
    p.add_argument("--ports", required=True)
    p.add_argument("--per-port", type=int, default=10)
    p = sub.add_parser("post")
    p.add_argument("slug")
    p.add_argument("--number", type=int, default=1)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
