"""Helpers for the hostile-input suite: a scene with members and a post, activity builders, and the checks.

A :class:`Scene` is a running hub (tests.federation.harness) with the open group ``climate``, two
members on ``remote.test`` (alice, and bob with one published post) and mallory, a non-member on
the same server. :meth:`Scene.snapshot` records what hostile input must not change;
:meth:`Scene.assert_unchanged` checks it after the worker has drained.
"""

from __future__ import annotations

import contextlib
import re
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub.models import Group, Membership, Post
from tests.federation.harness import PUBLIC, Counts, FakeActor, Hub, SignOptions, running_hub

SLUG = "climate"
BOB_POST = "https://remote.test/users/bob/statuses/1"
PAGE_MARKER = "XSSMARK"
"""Appears in every script, handler, URL and style of the HTML vectors; must never reach a page."""

FORBIDDEN_IN_HTML = ("<script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "<iframe", "<svg", "<style", "style=", "<img", "<object", "<form", "expression(", PAGE_MARKER)


@dataclass
class Snapshot:
    """What hostile input must leave as it was."""

    counts: Counts
    memberships: dict[int, tuple[str, str]]
    bob_post: tuple[str, str, str | None]
    group: tuple[str, str]


@dataclass
class Scene:
    """A hub with a group, two members (one with a post) and a non-member on the same server."""

    hub: Hub
    alice: FakeActor
    bob: FakeActor
    mallory: FakeActor
    seq: list[int] = field(default_factory=lambda: [0])

    @property
    def group_id(self) -> str:
        """The group's actor id."""
        return self.hub.group_id(SLUG)

    @property
    def inbox(self) -> str:
        """The group's inbox path."""
        return self.hub.inbox(SLUG)

    def fresh(self, prefix: str, **options: Any) -> FakeActor:
        """A new remote actor (``prefix`` plus a number) no case has used yet; ``options`` go into its document."""
        self.seq[0] += 1
        return self.hub.world.person(f"{prefix}{self.seq[0]}", **options)

    async def fresh_member(self, name: str) -> FakeActor:
        """A new remote actor who is an accepted member of the group (queues drained)."""
        actor = self.fresh(name)
        await self.hub.member(actor, SLUG)
        await self.hub.drain()
        return actor

    def next_id(self, actor: FakeActor, kind: str = "activities") -> str:
        """A fresh id on the actor's server."""
        self.seq[0] += 1
        return f"{actor.id}/{kind}/{self.seq[0]}"

    def note(self, actor: FakeActor, **fields: Any) -> dict:
        """A public Note by ``actor`` mentioning and addressing the group (None drops a field)."""
        note = {
            "id": self.next_id(actor, "statuses"),
            "type": "Note",
            "attributedTo": actor.id,
            "content": "<p>Meeting on Saturday</p>",
            "published": "2025-01-01T12:00:00Z",
            "to": [PUBLIC],
            "cc": [self.group_id],
            "tag": [{"type": "Mention", "href": self.group_id, "name": f"@{SLUG}@hub.test"}],
        }
        for key, value in fields.items():
            if value is None:
                note.pop(key, None)
            else:
                note[key] = value
        return note

    def create(self, actor: FakeActor, obj: dict | str, **fields: Any) -> dict:
        """A Create of ``obj`` by ``actor``."""
        activity = {"id": self.next_id(actor), "type": "Create", "actor": actor.id, "object": obj, "to": [PUBLIC], "cc": [self.group_id]}
        activity.update(fields)
        return activity

    def activity(self, actor: FakeActor, kind: str, obj: Any, **fields: Any) -> dict:
        """Any activity by ``actor``."""
        return {"id": self.next_id(actor), "type": kind, "actor": actor.id, "object": obj, "to": [PUBLIC], **fields}

    async def post(self, activity: dict | None, actor: FakeActor, *, body: bytes | None = None, sign: SignOptions = SignOptions(), path: str | None = None) -> httpx.Response:
        """POST to the group's inbox (or ``path``), signed as ``actor``."""
        return await self.hub.signed_post(path or self.inbox, activity, actor, body=body, sign=sign)

    async def snapshot(self) -> Snapshot:
        """Record counts, every membership's state and role, bob's post and the group's profile."""
        rows = await Membership.all().values_list("id", "state", "role")
        post = await Post.get(uri=BOB_POST)
        group = await Group.get(slug=SLUG)
        return Snapshot(
            await self.hub.counts(), {r[0]: (r[1], r[2]) for r in rows}, (post.state, post.content_html, post.title), (group.name, group.summary)
        )

    async def assert_unchanged(self, before: Snapshot, *, inbox_items: int = 0, posts: int = 0) -> None:
        """After draining: no more rows than expected, no delivery, memberships, bob's post and the group as they were."""
        await self.hub.drain()
        after = await self.snapshot()
        assert after.counts.inbox_items == before.counts.inbox_items + inbox_items, "unexpected inbox items"
        assert after.counts.posts == before.counts.posts + posts, "unexpected posts"
        assert after.counts.deliveries == before.counts.deliveries, "a delivery was queued"
        assert after.memberships == before.memberships, "memberships changed"
        assert after.bob_post == before.bob_post, "bob's post changed"
        assert after.group == before.group, "the group changed"
        assert await self.hub.alive(), "the hub no longer answers"


@contextlib.asynccontextmanager
async def scene(database_url: str, tmp_path: Path) -> AsyncIterator[Scene]:
    """A running hub with the scene set and the queues drained."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group(SLUG, summary="Climate action")
        alice, bob = hub.world.person("alice"), hub.world.person("bob")
        mallory = hub.world.person("mallory")
        await hub.member(alice, SLUG)
        await hub.member(bob, SLUG)
        s = Scene(hub, alice, bob, mallory)
        note = s.note(bob, id=BOB_POST, content="<p>bob's post</p>")
        response = await s.post(s.create(bob, note), bob)
        assert response.status_code == 202, response.text
        await hub.drain()
        assert (await Post.get(uri=BOB_POST)).state == "published"
        yield s


def body_of(activity: dict) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(activity).encode()


def nested(depth: int) -> bytes:
    """An activity whose ``object`` nests lists ``depth`` levels deep."""
    return b'{"id":"https://remote.test/users/alice/a/deep","type":"Create","actor":"https://remote.test/users/alice","object":' + b"[" * depth + b"]" * depth + b"}"


def assert_clean(text: str | None, where: str) -> None:
    """No script, handler, javascript: URL, frame, SVG, CSS or marker in ``text``."""
    lowered = (text or "").lower()
    for bad in FORBIDDEN_IN_HTML:
        assert bad.lower() not in lowered, f"{bad!r} survived in {where}: {text!r}"


PAGE_FORBIDDEN = ("javascript:", "onerror=", "onload=", "onclick=", "onmouseover=", "<iframe", "<svg", "<style", "expression(", "<object", "<embed", PAGE_MARKER)


OWN_CHART = re.compile(r'<section aria-labelledby="activity" class="activity">\s*<h2 id="activity">.*?</section>', re.S)
"""The group page's own activity chart (an inline SVG the hub draws from counts, web/charts.py): not remote content."""


def assert_page_clean(page: str, where: str) -> None:
    """A rendered page: only the app's own script tag and chart, and none of the vectors or the marker."""
    lowered = OWN_CHART.sub("", page).lower()
    for tag in re.findall(r"<script\b[^>]*>", lowered):
        assert 'src="/static/' in tag or "src='/static/" in tag or 'src="http://hub.test/static/' in tag, f"foreign script in {where}: {tag}"
    for bad in PAGE_FORBIDDEN:
        assert bad.lower() not in lowered, f"{bad!r} reached {where}"
