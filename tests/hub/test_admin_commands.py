"""The administrators' CLI (hub.admin_commands): appoint and remove administrators (never the last), suspend and
lift a group's suspension, open or close the creation of groups — each written to the moderation log.

Real ``hub`` processes on a migrated database: exit codes 0 (done), 1 (failed, nothing changed), 2 (usage).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.db


@pytest.fixture
def hub(database_url: str, tmp_path: Path):
    """``hub(*args, stdin=None)``: run the CLI against the test's database."""
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path), "HUB_DOMAIN": "hub.test"}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub", *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=60)

    return run


def test_administrators_are_appointed_and_removed_but_never_the_last(hub) -> None:
    """grant and revoke by user name; revoking the last one fails with exit 1 and changes nothing."""
    for name in ("root", "second"):
        assert hub("admin", "create", name, "--password-stdin", stdin="a long enough password\n").returncode == 0
    assert hub("admin", "revoke", "second", "--reason", "left").returncode == 0
    assert [a["name"] for a in json.loads(hub("admin", "list", "--json").stdout)] == ["root"]
    last = hub("admin", "revoke", "root")
    assert last.returncode == 1 and "last administrator" in last.stderr
    regrant = hub("admin", "grant", "second")
    assert regrant.returncode == 0 and "second is now an administrator" in regrant.stdout
    unknown = hub("admin", "grant", "@nobody@nowhere.example")
    assert unknown.returncode == 1 and "is known to this hub" in unknown.stderr
    log = json.loads(hub("moderation", "log", "--json").stdout)
    assert [e["action"] for e in log] == ["admin_granted", "admin_revoked"]


def test_suspend_and_unsuspend_a_group_and_choose_who_creates_groups(hub) -> None:
    """suspend needs a reason and a known group; unsuspend lifts it; group creation open/closed is stored and shown."""
    assert hub("group", "create", "aid", "--name", "Mutual Aid").returncode == 0
    assert hub("group", "suspend", "aid").returncode == 2
    assert hub("group", "suspend", "nope", "--reason", "spam").returncode == 1
    suspended = hub("group", "suspend", "aid", "--reason", "spam network")
    assert suspended.returncode == 0 and "suspended aid" in suspended.stdout
    again = hub("group", "suspend", "aid", "--reason", "again")
    assert again.returncode == 1 and "already suspended" in again.stderr
    assert hub("group", "unsuspend", "aid").returncode == 0
    assert "administrators only" in hub("group", "creation").stdout
    assert "open to anyone" in hub("group", "creation", "open").stdout
    assert "open to anyone" in hub("group", "creation").stdout
    actions = [e["action"] for e in json.loads(hub("moderation", "log", "aid", "--json").stdout)]
    assert actions == ["group_unsuspended", "group_suspended"]
    assert [e["action"] for e in json.loads(hub("moderation", "log", "--json").stdout)] == ["group_creation_opened"]
