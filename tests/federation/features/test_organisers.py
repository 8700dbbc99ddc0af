"""federation/features/organisers.py in-process: announcements in both forms, refusals explained, organisers told.

The real app runs over ASGI with the fediverse mocked (tests/federation/harness.py); members on
remote.test run Mastodon, members on lemmy.test run Lemmy (group-aware, leaky for private groups).
Emails go to a real SMTP server in-process (aiosmtpd, from tests/hub/test_mail.py).
"""

from __future__ import annotations

import pytest

from federation.features import organisers
from federation.registry import REGISTRY, event_handler_for
from hub.models import Account, Event, MediaFile, OrganiserSettings, Peer
from hub.services import announcements, attention, members
from tests.federation.harness import PUBLIC, RemoteWorld, running_hub
from tests.hub.test_mail import smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.support.processes import free_port

pytestmark = pytest.mark.db


def delivered(hub, kind: str, inbox_part: str = "") -> list[dict]:
    """Activities of one type the hub delivered (to inboxes containing ``inbox_part``)."""
    return [body for url, body in hub.world.deliveries if body.get("type") == kind and inbox_part in url]


def direct_to(hub, actor_id: str) -> list[str]:
    """Contents of direct messages delivered to one actor."""
    return [b["object"]["content"] for _, b in hub.world.deliveries
            if b.get("type") == "Create" and b["object"].get("to") == [actor_id]]


def test_every_kind_of_the_feature_reaches_its_handler_through_the_registry() -> None:
    """The registry dispatches each of the feature's event kinds to its handler, and none of them is declared quiet."""
    assert "membership.requested" in organisers.FEATURE.outbound and "post.held" in organisers.FEATURE.outbound
    for kind, handler in organisers.FEATURE.outbound.items():
        assert event_handler_for(kind) is handler, kind
        assert REGISTRY.outbound_chains[kind].owner == ("organisers", handler) and kind not in REGISTRY.quiet


def test_content_html_escapes_and_keeps_paragraphs() -> None:
    """Text becomes paragraphs and line breaks; markup is escaped, never interpreted."""
    assert organisers.content_html("One\nTwo\n\n<b>Three</b>") == "<p>One<br>Two</p><p>&lt;b&gt;Three&lt;/b&gt;</p>"


async def _members(hub, slug: str) -> tuple:
    world = hub.world
    world.software_of["lemmy.test"] = "lemmy"
    alice, lena = world.person("alice"), world.person("lena", "lemmy.test")
    await hub.member(alice, slug)
    await hub.member(lena, slug)
    await Peer.filter(host="lemmy.test").update(software="lemmy")
    await Peer.filter(host="remote.test").update(software="mastodon")
    return alice, lena


async def test_announcement_in_both_forms(database_url, tmp_path) -> None:
    """Mastodon gets the group's Create/Update/Delete of its Note; Lemmy the group's Announce of each; once per server."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("aid", name="Mutual Aid")
        await _members(hub, "aid")
        image = await MediaFile.create(name="a" * 32 + ".png", media_type="image/png", alt="The hall", width=8, height=8, size=9)
        row = await announcements.publish(group, "Assembly Friday", summary="Meeting", images=[image])
        await hub.drain()
        [create] = delivered(hub, "Create", "remote.test")
        note = create["object"]
        assert create["actor"] == note["attributedTo"] == hub.group_id("aid")
        assert note["id"] == f"{hub.group_id('aid')}/objects/announcement/{row.id}" and note["type"] == "Note"
        assert note["summary"] == "Meeting" and note["sensitive"] is True and PUBLIC in note["cc"]
        assert note["attachment"][0]["name"] == "The hall" and note["content"] == "<p>Assembly Friday</p>"
        [wrapped] = delivered(hub, "Announce", "lemmy.test")
        assert wrapped["object"]["type"] == "Create" and wrapped["object"]["object"]["id"] == note["id"]
        assert delivered(hub, "Create", "lemmy.test") == []

        await announcements.edit(row, "Assembly Saturday", summary=None)
        await hub.drain()
        await announcements.delete(row)
        await hub.drain()
        [update] = delivered(hub, "Update", "remote.test")
        assert update["object"]["content"] == "<p>Assembly Saturday</p>" and update["object"]["updated"]
        assert "summary" not in update["object"] and update["object"]["sensitive"] is False
        [delete] = delivered(hub, "Delete", "remote.test")
        assert delete["object"] == {"id": note["id"], "type": "Tombstone"} and delete["actor"] == hub.group_id("aid")
        assert sorted(a["object"]["type"] for a in delivered(hub, "Announce", "lemmy.test")) == ["Create", "Delete", "Update"]
        served = await hub.get(f"/groups/aid/objects/announcement/{row.id}", accept="application/activity+json")
        assert served.status_code == 410


async def test_private_group_announcement_stays_with_members(database_url, tmp_path) -> None:
    """A private group's announcement is addressed to followers only and never sent to leaky software."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group("circle", name="Circle", visibility="private")
        await _members(hub, "circle")
        await announcements.publish(group, "Members only: meeting at Ana's")
        await hub.drain()
        [create] = delivered(hub, "Create", "remote.test")
        assert PUBLIC not in create["object"]["cc"] and PUBLIC not in create["cc"]
        assert [b["type"] for url, b in hub.world.deliveries if "lemmy.test" in url] == ["Accept"]  # its join, nothing else
        served = await hub.get(create["object"]["id"].removeprefix("http://hub.test"), accept="application/activity+json")
        assert served.status_code == 404


async def test_organisers_told_by_direct_message_and_email(database_url, tmp_path, smtp_server) -> None:  # noqa: F811
    """A join request reaches the owner by direct message and the moderator (messages off) by email only."""
    inbox, port = smtp_server
    async with running_hub(database_url, tmp_path, HUB_SMTP_HOST="127.0.0.1", HUB_SMTP_PORT=str(port),
                           HUB_SMTP_SECURITY="none", HUB_SMTP_FROM="hub@hub.test") as hub:
        group = await hub.group("housing", name="Housing Action", join_policy="closed")
        owner, mod, dan = hub.world.person("olivia"), hub.world.person("mo"), hub.world.person("dan")
        owner_row = await hub.member(owner, "housing", role="owner")
        mod_row = await hub.member(mod, "housing", role="moderator")
        await OrganiserSettings.create(group=group, account_id=mod_row.account_id, direct_messages=False, email="mo@example.org")
        await hub.drain()
        # When dan asks to join (a Follow)
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{dan.id}#follows/1", "type": "Follow",
                  "actor": dan.id, "object": hub.group_id("housing")}
        assert (await hub.signed_post(hub.inbox("housing"), follow, dan)).status_code == 202
        await hub.drain()
        # Then the owner gets a direct message with the console's members page; the moderator none, but an email
        [told] = direct_to(hub, owner.id)
        assert "asks to join" in told and "/console/groups/housing/members" in told
        assert direct_to(hub, mod.id) == [] and direct_to(hub, dan.id) == []
        [(sender, recipients, raw)] = inbox.messages
        assert sender == "hub@hub.test" and recipients == ["mo@example.org"]
        assert b"asks to join" in raw and b"http://hub.test/console/groups/housing/members" in raw
        assert owner_row.account_id != mod_row.account_id
        # When a second request follows at once, nobody is told again: the console counts it
        eve = hub.world.person("eve")
        follow = {**follow, "id": f"{eve.id}#follows/1", "actor": eve.id}
        assert (await hub.signed_post(hub.inbox("housing"), follow, eve)).status_code == 202
        await hub.drain()
        assert len(direct_to(hub, owner.id)) == 1 and len(inbox.messages) == 1
        assert (await attention.waiting(group)).join_requests == 2


async def test_mail_server_down_retries_without_holding_the_group_back(database_url, tmp_path) -> None:
    """When the mail server is down the email event waits for a retry; the group's own events go on."""
    async with running_hub(database_url, tmp_path, HUB_SMTP_HOST="127.0.0.1", HUB_SMTP_PORT=str(free_port()),
                           HUB_SMTP_SECURITY="none") as hub:
        group = await hub.group("housing", name="Housing Action", join_policy="closed")
        owner = hub.world.person("olivia")
        owner_row = await hub.member(owner, "housing", role="owner")
        await OrganiserSettings.create(group=group, account_id=owner_row.account_id, direct_messages=True, email="o@example.org")
        stranger = await hub.member(hub.world.person("sam"), "housing")
        await members.leave(group, await stranger.account)
        await members.request_join(group, await stranger.account, follow_uri=f"{hub.world.person('sam').id}#f2")
        await announcements.publish(group, "Assembly Friday")
        await hub.drain()
        [email] = await Event.filter(kind="organisers.email")
        assert email.state != "done" and email.tries >= 1 and email.group_id is None
        assert (await Event.get(kind="announcement.published")).state == "done"
        assert any("asks to join" in text for text in direct_to(hub, owner.id))


async def test_organisers_are_told_in_their_own_language(database_url, tmp_path) -> None:
    """An organiser who chose Spanish reads what waits in Spanish, with the count in CLDR's plural form."""
    async with running_hub(database_url, tmp_path) as hub:
        await hub.group("housing", name="Housing Action", join_policy="closed")
        owner = hub.world.person("olivia")
        owner_row = await hub.member(owner, "housing", role="owner")
        await Account.filter(id=owner_row.account_id).update(language="es")
        dan = hub.world.person("dan")
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{dan.id}#follows/1", "type": "Follow",
                  "actor": dan.id, "object": hub.group_id("housing")}
        assert (await hub.signed_post(hub.inbox("housing"), follow, dan)).status_code == 202
        await hub.drain()
        [told] = direct_to(hub, owner.id)
        assert "pide unirse" in told and "Abre la consola" in told and "asks to join" not in told
