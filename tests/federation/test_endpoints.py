"""The ActivityPub endpoints called directly: group collections, and the group's campaign objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.requests import Request

from federation import campaign_endpoints, endpoints
from hub.services import calls
from tests.federation.harness import running_hub

pytestmark = pytest.mark.db


def _get(hub, path: str, **params) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                    "headers": [(b"host", b"hub.test")], "app": hub.app, "path_params": params})


async def test_collections_of_unknown_groups_are_404_and_followers_only_count(database_url: str, tmp_path: Path) -> None:
    """The followers collection gives its size and no members; an unknown group's collection is 404."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group("climate")
        await hub.member(hub.world.person("ann"))
        missing = await endpoints.followers(_get(hub, "/groups/nope/followers", slug="nope"))
        assert missing.status_code == 404
        followers = json.loads((await endpoints.followers(_get(hub, "/groups/climate/followers", slug="climate"))).body)
        assert (followers["type"], followers["totalItems"]) == ("OrderedCollection", 1) and "orderedItems" not in followers


async def test_a_public_groups_call_is_served_a_private_groups_is_not(database_url: str, tmp_path: Path) -> None:
    """The call's Question is served for a public group; a private group's objects are members-only (404)."""
    async with running_hub(database_url, tmp_path) as hub:
        public, private = await hub.group("climate"), await hub.group("quiet", visibility="private")
        open_call = await calls.create_call(public, what="Leaflets", where="Square", when="2026-12-05T10:00", needed=2)
        hidden = await calls.create_call(private, what="Meeting", where="Hall", when="2026-12-07T18:00", needed=2)
        served = await campaign_endpoints.object_document(_get(hub, "/x"), public, "call", open_call.id)
        assert served.status_code == 200 and json.loads(served.body)["type"] == "Question"
        refused = await campaign_endpoints.object_document(_get(hub, "/x"), private, "call", hidden.id)
        assert refused.status_code == 404
        assert (await campaign_endpoints.object_document(_get(hub, "/x"), public, "poll", 1)).status_code == 404
