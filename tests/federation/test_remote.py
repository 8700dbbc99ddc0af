"""Tests for federation.remote: actor documents and key lookup under hostile input."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from federation.context import build_federation
from federation.errors import FetchError, KeyFetchError
from federation.remote import lookup_key, store_actor
from hub.models import InstanceKey
from tests.federation.harness import OTHER_KEY, RemoteWorld, hub_settings

pytestmark = pytest.mark.db


async def test_store_actor_bounds_every_stored_field(db, tmp_path: Path):
    """An overlong username gives no handle, an overlong key id no key, an overlong host no actor."""
    world = RemoteWorld()
    long_name = world.person("longname", preferredUsername="u" * 1000).document
    actor = await store_actor(long_name)
    assert (await actor.account).handle is None
    long_key = world.person("longkey").document
    long_key["publicKey"] = {**long_key["publicKey"], "id": long_key["id"] + "#" + "k" * 1100}
    assert (await store_actor(long_key)).key_id is None
    far = world.person("far", host=".".join(["a" * 60] * 5) + ".test").document
    with pytest.raises(FetchError, match="longer than 255"):
        await store_actor(far)


async def test_a_key_fetch_that_leaves_the_host_is_a_key_error(db, tmp_path: Path):
    """A redirect to another host, or a transport error httpx does not map, is a KeyFetchError (401), never a 400 or 500."""
    await InstanceKey.create(private_key_pem=OTHER_KEY.private_pem, public_key_pem=OTHER_KEY.public_pem)
    world = RemoteWorld()
    ghost = world.person("ghost")
    world.respond(ghost.id, httpx.Response(302, headers={"Location": "https://evil.test/users/ghost"}))
    fed = build_federation(hub_settings("sqlite://unused", tmp_path), http_transport=httpx.MockTransport(world))
    try:
        with pytest.raises(KeyFetchError, match="redirected to another host"):
            await lookup_key(fed, ghost.key_id)
        with pytest.raises(KeyFetchError, match="at most 1024"):
            await lookup_key(fed, ghost.id + "#" + "k" * 1100)
        odd = world.person("odd")

        def malformed(request: httpx.Request) -> httpx.Response:
            raise RuntimeError("a transport error httpx does not know")

        world.respond(odd.id, malformed)
        with pytest.raises(KeyFetchError, match="RuntimeError"):
            await lookup_key(fed, odd.key_id)
    finally:
        await fed.close()
