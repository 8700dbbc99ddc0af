"""federation.direct: one direct message to one remote account, written in that person's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.direct import direct_message
from hub.models import Account, Delivery, RemoteActor
from tests.federation.harness import HUB_BASE, running_hub

pytestmark = pytest.mark.db


async def test_a_message_in_the_readers_language_from_the_group_or_the_instance(database_url: str, tmp_path: Path) -> None:
    """A composed text is written with the reader's translations, language and zone; a written one is sent as it is."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group(language="pt")
        ana = await hub.member(hub.world.person("ana", "one.test"))
        ben = await hub.member(hub.world.person("ben", "two.test"))
        await Account.filter(id=ana.account_id).update(language="es", time_zone="Europe/Madrid")
        seen = []

        def compose(t, language, zone):
            seen.append((language, zone))
            return t.gettext("Open the console:")

        assert await direct_message(hub.fed, group, ana.account_id, compose, "https://hub.test/x")
        assert await direct_message(hub.fed, group, ben.account_id, compose, None, from_instance=True)
        assert await direct_message(hub.fed, group, ben.account_id, "Hello as written", None, language="en")
        assert seen == [("es", "Europe/Madrid"), ("pt", None)]  # ben chose nothing: the group's language
        notes = [row.body for row in await Delivery.all().order_by("id")]
        assert "Abre la consola:" in notes[0] and f'"actor":"{HUB_BASE}/groups/climate"' in notes[0].replace(" ", "")
        assert "Abra a consola:" in notes[1] and f'"actor":"{HUB_BASE}/actor"' in notes[1].replace(" ", "")
        assert "Hello as written" in notes[2]


async def test_nothing_for_a_local_or_gone_account(database_url: str, tmp_path: Path) -> None:
    """A local account has no inbox to write to, and a gone actor is not written to."""
    async with running_hub(database_url, tmp_path) as hub:
        group = await hub.group()
        local = await Account.create(uri=f"{HUB_BASE}/users/admin", handle="admin", is_local=True)
        gone = await hub.member(hub.world.person("cy", "three.test"))
        await gone.fetch_related("account")
        await RemoteActor.filter(account_id=gone.account_id).update(gone=True)
        assert not await direct_message(hub.fed, group, local.id, "hi", None)
        assert not await direct_message(hub.fed, group, gone.account_id, "hi", None)
        assert await Delivery.all().count() == 0
