"""The CLI's group commands: ``hub group edit`` changes only what is given; ``hub group delete`` asks for the slug again.

Real ``hub`` processes on a migrated database: exit codes 0 (done), 1 (failed, nothing changed), 2 (usage).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.commands import register

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
    assert empty.returncode == 1 and "name must be 1-200 characters" in empty.stderr
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
