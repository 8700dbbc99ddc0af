"""`hub event create|edit|cancel|list|approve` (hub.gathering_commands): exit codes, messages, --json counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from hub.clock import now
from hub.gathering_commands import register

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub_cli(tmp_path):
    """Run `hub ARGS` against a fresh migrated SQLite database; returns the completed process."""
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite://{tmp_path}/hub.sqlite3", "HUB_DATA_DIR": str(tmp_path),
           "HUB_DOMAIN": "hub.example"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)

    assert run("migrate").returncode == 0
    assert run("group", "create", "aid", "--name", "Mutual Aid").returncode == 0
    return run


def test_register_adds_every_event_command() -> None:
    """The plugin adds create, edit, cancel, list, approve and refuse under `hub event`."""
    added = []

    class Recorder:
        def command(self, path, help_text, handler):
            added.append(path)
            return __import__("argparse").ArgumentParser()

    register(Recorder())
    assert added == ["event create", "event edit", "event cancel", "event list", "event approve", "event refuse"]


def test_create_edit_cancel_and_list(hub_cli) -> None:
    """An event is created in its time zone, listed as JSON with counts, moved, then cancelled."""
    day = (now() + timedelta(days=5)).date().isoformat()
    created = hub_cli("event", "create", "aid", "--title", "Assembly", "--starts", f"{day}T18:00", "--ends", f"{day}T20:00",
                      "--timezone", "Europe/Berlin", "--place", "Kiezhaus", "--locality", "Berlin", "--capacity", "20",
                      "--approval", "--remind", "120")
    assert created.returncode == 0, created.stderr
    assert "created event #1 at https://hub.example/groups/aid/events/1" in created.stdout
    [row] = json.loads(hub_cli("event", "list", "aid", "--json").stdout)
    assert (row["title"], row["capacity"], row["join_mode"], row["going"], row["remind_before"]) == ("Assembly", 20, "restricted", 0, [120])
    assert row["when"].endswith("18:00–20:00 (Europe/Berlin)") and row["where"] == "Kiezhaus, Berlin"
    moved = hub_cli("event", "edit", "1", "--starts", f"{day}T19:00", "--ends", f"{day}T21:00")
    assert moved.returncode == 0 and "changed time" in moved.stdout
    assert json.loads(hub_cli("event", "list", "aid", "--json").stdout)[0]["when"].endswith("19:00–21:00 (Europe/Berlin)")
    assert hub_cli("event", "cancel", "1").returncode == 0
    again = hub_cli("event", "cancel", "1")
    assert again.returncode == 1 and "cannot go from cancelled" in again.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--timezone", "Mars/Base"], 1, "unknown time zone 'Mars/Base'"),
    (["--ends", "2001-01-01T10:00"], 1, "the event must end after it starts"),
    (["--starts", "tomorrow"], 2, "is not a date and time"),
    (["--capacity", "-3"], 1, "capacity must be a whole number"),
])
def test_bad_input_exits_with_a_message_and_stores_nothing(hub_cli, args, code, message) -> None:
    """Bad values: exit 1 (refused) or 2 (malformed argument), one line naming the problem, no event stored."""
    day = (now() + timedelta(days=5)).date().isoformat()
    base = {"--title": "Assembly", "--starts": f"{day}T18:00", "--ends": f"{day}T20:00", "--timezone": "UTC", "--place": "Hall"}
    base.update(dict(zip(args[::2], args[1::2])))
    result = hub_cli("event", "create", "aid", *[part for pair in base.items() for part in pair])
    assert result.returncode == code and message in result.stderr
    assert json.loads(hub_cli("event", "list", "aid", "--json", "--all").stdout) == []
