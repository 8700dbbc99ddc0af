"""A hub database for the benchmarks: a group whose members live on many loopback instances, and its posts.

``BenchDatabase`` makes a fresh migrated database (an SQLite file, or a PostgreSQL database made
on ``--postgres ADMIN_URL`` and dropped afterwards). ``fill_members`` bulk-inserts accounts,
remote actors (sharing one inbox per instance), peers and accepted memberships; ``publish`` makes
a member's post through the real domain service, which records the ``post.published`` event the
worker fans out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from tortoise.transactions import in_transaction

from hub.clock import now
from hub.migrations import upgrade
from hub.models import Account, Group, Membership, Peer, RemoteActor
from hub.services import posts
from hub.services.posts import PostDraft

HUB_DOMAIN = "127.0.0.1:9"
"""The benchmark hub's domain: its ids are never fetched, so nothing needs to listen there."""
BATCH = 2000


@dataclass
class BenchDatabase:
    """A fresh migrated database and the directory the hub keeps its files in."""

    postgres_admin_url: str | None = None
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="causeway-bench-")))
    url: str = ""

    def create(self) -> str:
        """Make and migrate the database; returns its tortoise URL."""
        if self.postgres_admin_url:
            name = f"causeway_bench_{os.getpid()}"
            _admin(self.postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            parts = urlsplit(self.postgres_admin_url)
            self.url = urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))
        else:
            self.url = f"sqlite://{self.directory / 'hub.sqlite3'}"
        upgrade(self.url)
        return self.url

    def environment(self) -> dict[str, str]:
        """HUB_* settings of a hub on this database that may deliver to loopback instances."""
        return {
            "HUB_DOMAIN": HUB_DOMAIN, "HUB_DATABASE_URL": self.url, "HUB_DATA_DIR": str(self.directory),
            "HUB_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8", "HUB_LOG_LEVEL": "warning",
            "HUB_INBOX_RATE_PER_ACTOR": "0", "HUB_INBOX_RATE_PER_HOST": "0",
        }

    def drop(self) -> None:
        """Remove the database and the directory."""
        if self.postgres_admin_url and self.url:
            _admin(self.postgres_admin_url, f'DROP DATABASE IF EXISTS "{urlsplit(self.url).path.lstrip("/")}" WITH (FORCE)')
        shutil.rmtree(self.directory, ignore_errors=True)


def _admin(admin_url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the admin URL."""
    connection = psycopg2.connect("postgresql://" + admin_url.split("://", 1)[1])
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


async def make_group(slug: str, private_pem: str, public_pem: str) -> Group:
    """An open public group signing with the given key pair."""
    return await Group.create(slug=slug, name=f"Bench {slug}", private_key_pem=private_pem, public_key_pem=public_pem)


async def fill_members(group: Group, instances: list[int | str], members: int, *, software: str = "mastodon") -> list[Account]:
    """``members`` accepted remote members spread evenly over the instances (ports of 127.0.0.1, or ``host:port``
    strings); returns the accounts."""
    moment = now()
    hosts = [f"127.0.0.1:{i}" if isinstance(i, int) else i for i in instances]
    async with in_transaction():
        await Peer.bulk_create([Peer(host=host, software=software, nodeinfo_fetched_at=moment) for host in hosts],
                               batch_size=BATCH)
        peers = {p.host: p for p in await Peer.filter(host__in=hosts)}
        uris = [f"http://{hosts[n % len(hosts)]}/users/m{n}" for n in range(members)]
        await Account.bulk_create([Account(uri=uri, handle=f"m{n}@{hosts[n % len(hosts)]}")
                                   for n, uri in enumerate(uris)], batch_size=BATCH)
        accounts = {a.uri: a for a in await Account.filter(uri__in=uris)} if len(uris) < 30000 else {
            a.uri: a for a in await Account.filter(is_local=False)}
        actors = []
        for n, uri in enumerate(uris):
            host = hosts[n % len(hosts)]
            actors.append(RemoteActor(
                account_id=accounts[uri].id, peer_id=peers[host].id, uri=uri, actor_type="Person",
                inbox=f"{uri}/inbox", shared_inbox=f"http://{host}/inbox", key_id=f"{uri}#main-key",
                preferred_username=f"m{n}", fetched_at=moment,
            ))
        await RemoteActor.bulk_create(actors, batch_size=BATCH)
        await Membership.bulk_create([Membership(group_id=group.id, account_id=accounts[uri].id, state="accepted")
                                      for uri in uris], batch_size=BATCH)
    return [accounts[uri] for uri in uris]


async def publish(group: Group, author: Account, number: int) -> int:
    """A member's public Note to the group, through the domain service (records post.published); the post id."""
    uri = f"{author.uri}/notes/{number}"
    published = now() - timedelta(seconds=1)
    draft = PostDraft(
        uri=uri, activity_uri=f"{uri}/activity", object_type="Note", visibility="public", published_at=published,
        content_html=f"<p>Benchmark post {number} for everyone in the group. " + "Solidarity. " * 60 + "</p>",
        activity_json="{}",
    )
    result = await posts.submit(group, author, draft)
    return result.post.id
