"""Signed requests, verified once: the request's own path and query, and a rotated key refetched on GETs too."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from federation.signer import is_signed, request_target
from hub.clock import now
from hub.models import Post
from tests.federation.harness import HUB_BASE, OTHER_KEY, FakeActor, Hub, SignOptions, running_hub, signed_headers

GET_NAMES = ("(request-target)", "host", "date")


def _request(path: str, query: bytes = b"", raw_path: bytes | None = None, headers: list | None = None) -> Request:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": headers or []}
    if raw_path is not None:
        scope["raw_path"] = raw_path
    return Request(scope)


def test_request_target_is_the_path_and_query_as_sent():
    """The raw path (percent-escapes kept, a query some clients append cut off) plus the raw query string."""
    assert request_target(_request("/groups/a b", b"page=1", raw_path=b"/groups/a%20b")) == "/groups/a%20b?page=1"
    assert request_target(_request("/x", b"page=2", raw_path=b"/x?page=2")) == "/x?page=2"
    assert request_target(_request("/a?b#c%d")) == "/a%3Fb%23c%25d"
    assert not is_signed(_request("/x")) and is_signed(_request("/x", headers=[(b"signature", b"k")]))


async def signed_get(hub: Hub, path: str, actor: FakeActor, *, signed_path: str | None = None) -> httpx.Response:
    """GET ``path``, signed as ``actor`` for ``signed_path`` (default: the same path)."""
    headers = signed_headers("GET", f"{HUB_BASE}{signed_path or path}", b"", actor, SignOptions(names=GET_NAMES))
    headers["Accept"] = "application/activity+json"
    return await hub.client.get(path, headers=headers)


def rotate(actor: FakeActor) -> None:
    """The actor's server replaces its key (the served document changes too)."""
    actor.key = OTHER_KEY
    actor.document["publicKey"]["publicKeyPem"] = OTHER_KEY.public_pem


@pytest.mark.db
async def test_authorized_fetch_signs_the_query_and_refetches_a_rotated_key(database_url: str, tmp_path: Path) -> None:
    """Under authorized fetch the signature covers path and query; after a key rotation the key is refetched."""
    async with running_hub(database_url, tmp_path, HUB_AUTHORIZED_FETCH="true") as hub:
        await hub.group("climate")
        alice = hub.world.person("alice")
        # Given a signed GET that the hub accepts (and whose key it has now cached)
        assert (await signed_get(hub, "/groups/climate", alice)).status_code == 200
        assert (await signed_get(hub, "/groups/climate/outbox?page=1", alice)).status_code == 200
        # When alice's server rotates her key, her next GET (signed with the new key) is still served
        fetches = hub.world.fetched(alice.id)
        rotate(alice)
        assert (await signed_get(hub, "/groups/climate", alice)).status_code == 200
        assert hub.world.fetched(alice.id) == fetches + 1
        # A signature made for another query or path does not pass (and the refetch is not repeated at once)
        assert (await signed_get(hub, "/groups/climate/outbox?page=1", alice, signed_path="/groups/climate/outbox?page=2")).status_code == 401
        assert (await signed_get(hub, "/groups/climate/followers", alice, signed_path="/groups/climate/outbox")).status_code == 401
        assert hub.world.fetched(alice.id) == fetches + 1


@pytest.mark.db
async def test_members_only_get_refetches_a_rotated_key(database_url: str, tmp_path: Path) -> None:
    """A member whose key rotated can still read a members-only post (the same verification as the inbox)."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("circle", visibility="private")
        alice = hub.world.person("alice")
        account_id = (await hub.member(alice, "circle")).account_id
        post = await Post.create(group=group, author_id=account_id, uri=f"{alice.id}/notes/1", object_type="Note",
                                 thread_uri=f"{alice.id}/notes/1", visibility="members", state="published",
                                 published_at=now(), activity_json="{}", content_html="<p>hi</p>")
        path = f"/groups/circle/posts/{post.id}"
        assert (await signed_get(hub, path, alice)).status_code == 200
        rotate(alice)
        assert (await signed_get(hub, path, alice)).status_code == 200
        assert (await hub.client.get(path)).status_code == 401
