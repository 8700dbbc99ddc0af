"""The CLI's group commands: ``hub group edit`` changes only what is given (profile, access, language, zone,
place); ``hub group delete`` asks for the slug again.

Real ``hub`` processes on a migrated database: exit codes 0 (done), 1 (failed, nothing changed), 2 (usage).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub import db as hub_db
from hub.commands import register
from hub.models import Group

pytestmark = pytest.mark.db


@pytest.fixture
def hub(database_url: str, tmp_path: Path):
    """``hub(*args)``: run the CLI against the test's database."""
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path), "HUB_DOMAIN": "hub.test"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=60)

    return run


def listed(hub) -> dict:
    """The groups as ``hub group list --json`` shows them, by slug."""
    return {g["slug"]: g for g in json.loads(hub("group", "list", "--json").stdout)}


def test_group_edit_changes_only_what_is_given(hub) -> None:
    """--name alone keeps the rest; --access private explains what happens to public posts; bad values exit 1 or 2."""
    assert callable(register)
    assert hub("group", "create", "climate", "--name", "Climate", "--summary", "About us").returncode == 0
    renamed = hub("group", "edit", "climate", "--name", "Climate Now")
    assert renamed.returncode == 0, renamed.stderr
    assert (listed(hub)["climate"]["name"], listed(hub)["climate"]["join_policy"]) == ("Climate Now", "open")
    private = hub("group", "edit", "climate", "--access", "private")
    assert private.returncode == 0 and "0 public posts stay public" in private.stdout
    assert (listed(hub)["climate"]["visibility"], listed(hub)["climate"]["join_policy"]) == ("private", "approval")
    nothing = hub("group", "edit", "climate")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    assert hub("group", "edit", "climate", "--access", "secret").returncode == 2
    empty = hub("group", "edit", "climate", "--name", "")
    assert empty.returncode == 1 and "give the group a name" in empty.stderr
    missing = hub("group", "edit", "nope", "--name", "X")
    assert missing.returncode == 1 and "no group 'nope'" in missing.stderr
    assert listed(hub)["climate"]["name"] == "Climate Now"


def test_group_delete_needs_the_slug_again(hub) -> None:
    """Without --confirm SLUG nothing is deleted (exit 2); with it the group leaves the list for good."""
    hub("group", "create", "climate", "--name", "Climate")
    refused = hub("group", "delete", "climate")
    assert refused.returncode == 2 and "--confirm climate" in refused.stderr
    assert "climate" in listed(hub)
    done = hub("group", "delete", "climate", "--confirm", "climate")
    assert done.returncode == 0 and "answer 410" in done.stdout
    assert "climate" not in listed(hub)
    again = hub("group", "delete", "climate", "--confirm", "climate")
    assert again.returncode == 1 and "was deleted" in again.stderr
    taken = hub("group", "create", "climate", "--name", "Impostor")
    assert taken.returncode == 1


def stored(database_url: str, slug: str) -> Group:
    """The group row as the database has it."""
    async def read() -> Group:
        await hub_db.connect(database_url)
        try:
            return await Group.get(slug=slug)
        finally:
            await hub_db.disconnect()
    return asyncio.run(read())


def test_group_language_zone_and_place(hub, database_url) -> None:
    """Create with a language and zone, then give the city and country; bad values exit 1 and change nothing."""
    made = hub("group", "create", "nairobi", "--name", "Nairobi Mutual Aid", "--language", "sw", "--time-zone", "Africa/Nairobi")
    assert made.returncode == 0, made.stderr
    placed = hub("group", "edit", "nairobi", "--city", "Nairobi", "--country", "ke")
    assert placed.returncode == 0 and "language sw, time zone Africa/Nairobi, Nairobi, KE" in placed.stdout
    group = stored(database_url, "nairobi")
    assert (group.language, group.time_zone, group.city, group.country) == ("sw", "Africa/Nairobi", "Nairobi", "KE")

    bad = hub("group", "edit", "nairobi", "--name", "Renamed", "--language", "tlh")
    assert bad.returncode == 1 and "language 'tlh' is not one of en, es, pt, de, sw, ar" in bad.stderr
    bad = hub("group", "edit", "nairobi", "--country", "Kenya")
    assert bad.returncode == 1 and "two-letter ISO 3166 code" in bad.stderr
    group = stored(database_url, "nairobi")
    assert (group.name, group.language, group.country) == ("Nairobi Mutual Aid", "sw", "KE")
