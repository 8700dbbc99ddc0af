"""Tests for federation.remote: actor documents and key lookup under hostile input."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from federation.context import build_federation
from federation.errors import FetchError, KeyFetchError
from federation.actors import group_actor
from federation.remote import lookup_key, place_of, store_actor
from federation.urls import Urls
from hub.models import Group
from hub.models import InstanceKey
from tests.federation.harness import OTHER_KEY, RemoteWorld, hub_settings

pytestmark = pytest.mark.db


async def test_store_actor_bounds_every_stored_field(db, tmp_path: Path):
    """An overlong username gives no handle, an overlong key id no key, an overlong host no actor."""
    world = RemoteWorld()
    long_name = world.person("longname", preferredUsername="u" * 1000).document
    actor = await store_actor(long_name)
    assert (await actor.account).handle is None
    shouting = world.person("shouting", name="Solidarity" * 1000).document  # 10,000 characters, one word
    stored = await store_actor(shouting)
    assert len(stored.name) <= 200 and len((await stored.account).display_name) <= 200
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


@pytest.mark.parametrize(("location", "expected"), [
    ({"type": "Place", "name": "Nairobi, Kenya", "latitude": -1.28, "longitude": 36.82}, ("Nairobi, Kenya", -1.28, 36.82)),
    ([{"type": "Place", "name": "<b>Berlin</b>", "latitude": 52, "longitude": 13}], ("Berlin", 52.0, 13.0)),
    ({"type": "Place", "name": "Off the globe", "latitude": 95, "longitude": 0}, ("Off the globe", None, None)),
    ({"type": "Place", "latitude": True, "longitude": "13"}, (None, None, None)),
    ("Lisbon", (None, None, None)),
])
def test_place_of_an_actor_is_bounded(location, expected) -> None:
    """Only a Place with numbers on the globe gives a position; its name is plain text."""
    assert place_of({"location": location}) == expected


async def test_a_groups_place_travels_in_its_actor_document(db, tmp_path: Path, reuse_rsa_key_pair):
    """A group with a city and country publishes ``location``; another hub stores it from the document."""
    from hub.services.groups import create_group
    from hub.services.profiles import update_settings

    group = await create_group("nairobi", "Nairobi Mutual Aid")
    await update_settings(group, by=None, city="Nairobi", country="KE")
    document = group_actor(await Group.get(id=group.id), Urls("https://hub.example"))
    assert document["location"] == {"type": "Place", "name": "Nairobi, Kenya", "latitude": -1.28, "longitude": 36.82}
    world = RemoteWorld()
    remote = world.person("coalition").document
    remote["location"] = document["location"]
    stored = await store_actor(remote)
    assert (stored.place_name, stored.latitude, stored.longitude) == ("Nairobi, Kenya", -1.28, 36.82)
