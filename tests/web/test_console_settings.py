"""The console's group settings: access with what it means before confirming, and deletion."""

from __future__ import annotations

import pytest

from hub.models import Event, Group
from tests.web.test_pages import make_post
from web import console_settings

pytestmark = pytest.mark.db


async def test_switch_to_private_says_what_happens_before_confirming(web) -> None:
    """The first POST only explains (public posts stay public elsewhere); the confirmed one switches."""
    owner = await web.person("olivia")
    group = await web.group_with("climate", name="Climate Action", role_of={owner: "owner"})
    await make_post(group, owner, "Old public post")
    await web.sign_in(owner)
    assert {r.name for r in console_settings.routes("/console/groups/{slug}")} == {
        "console_settings", "console_access", "console_delete"}
    page = await web.client.get("/console/groups/climate/settings")
    assert page.status_code == 200 and 'value="open" checked' in page.text

    preview = await web.post_form("/console/groups/climate/access", {"access": "private"}, token_from="/console/groups/climate/settings")
    assert preview.status_code == 200
    assert "1 public post was already sent to other servers: it stays public there." in preview.text
    assert (await Group.get(id=group.id)).visibility == "public"

    confirmed = await web.post_form("/console/groups/climate/access", {"access": "private", "confirm": "yes"},
                                    token_from="/console/groups/climate/settings")
    assert confirmed.status_code == 303
    fresh = await Group.get(id=group.id)
    assert (fresh.visibility, fresh.join_policy) == ("private", "approval")
    assert await Event.filter(kind="group.updated").count() == 1
    bad = await web.post_form("/console/groups/climate/access", {"access": "secret", "confirm": "yes"},
                              token_from="/console/groups/climate/settings")
    assert bad.status_code == 303 and "access must be one of" in (await web.client.get("/console/groups/climate/settings")).text


async def test_members_and_moderators_cannot_change_settings(web) -> None:
    """The settings need an owner or admin (403 otherwise)."""
    mod = await web.person("mod")
    await web.group_with("climate", role_of={mod: "moderator"})
    await web.sign_in(mod)
    assert (await web.client.get("/console/groups/climate/settings")).status_code == 403


async def test_delete_needs_the_handle_typed_and_the_owner(web) -> None:
    """A wrong confirmation deletes nothing; the owner's confirmed deletion sends the console home and the page 410s."""
    owner, admin = await web.person("olivia"), await web.person("adam")
    group = await web.group_with("climate", name="Climate Action", role_of={owner: "owner", admin: "admin"})
    await web.sign_in(admin)
    refused = await web.post_form("/console/groups/climate/delete", {"confirm": "climate"}, token_from="/console/groups/climate/settings")
    assert refused.status_code == 303 and (await Group.get(id=group.id)).deleted_at is None
    web.client.cookies.clear()
    await web.sign_in(owner)
    wrong = await web.post_form("/console/groups/climate/delete", {"confirm": "climat"}, token_from="/console/groups/climate/settings")
    assert wrong.status_code == 303 and (await Group.get(id=group.id)).deleted_at is None
    done = await web.post_form("/console/groups/climate/delete", {"confirm": "@climate"}, token_from="/console/groups/climate/settings")
    assert done.status_code == 303 and done.headers["location"] == "/console"
    assert (await Group.get(id=group.id)).deleted_at is not None
    assert await Event.filter(kind="group.deleted").count() == 1
    assert (await web.client.get("/groups/climate")).status_code == 410
    assert (await web.client.get("/console/groups/climate")).status_code == 410
