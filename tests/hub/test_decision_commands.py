"""The decision CLI on a real database: open, list, show, close, openers; bad input exits 2 or 1 and stores nothing."""

from __future__ import annotations

import asyncio
import json

import pytest

import hub.db
import hub.decision_commands
from causeway.cli import main
from hub.services import accounts, decisions, members
from hub.services.groups import create_group

pytestmark = pytest.mark.db


async def _seed(database_url: str) -> None:
    await hub.db.connect(database_url)
    try:
        group = await create_group("climate", "Climate")
        who = await accounts.remote_account("https://social.example/users/ann", handle="ann@social.example")
        await members.request_join(group, who, follow_uri="https://social.example/follows/ann", pre_approved=True)
    finally:
        await hub.db.disconnect()


async def _vote(database_url: str, decision_id: int, option: str) -> None:
    await hub.db.connect(database_url)
    try:
        ann = await members.find_account("ann@social.example")
        await decisions.vote(await decisions.get_decision(decision_id), ann, [option])
    finally:
        await hub.db.disconnect()


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch, capsys):
    """``cli(*args)`` runs ``hub ARGS`` in-process against a seeded database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_DOMAIN", "hub.example")
    asyncio.run(_seed(database_url))

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_decision_commands(cli, database_url: str) -> None:
    """Open with a time zone and quorum, vote, show and list the tally, close early with the result."""
    code, _, err = cli("decision", "open", "climate", "Where do we meet?", "--option", "Library", "--option", "Park",
                       "--closes", "2099-01-10T18:00", "--timezone", "Europe/Madrid")
    assert code == 1 and "within a year" in err
    code, out, err = cli("decision", "open", "climate", "Where do we meet?", "--option", "Library", "--option", "Park",
                         "--closes", "3d", "--timezone", "Europe/Madrid", "--quorum", "1")
    assert code == 0 and "opened decision #1 in climate" in out and "Europe/Madrid" in out
    asyncio.run(_vote(database_url, 1, "Park"))
    shown = json.loads(cli("decision", "show", "1", "--json")[1])
    assert [o["votes"] for o in shown["options"]] == [0, 1] and shown["members"] == [{"account": "ann@social.example", "choices": ["Park"]}]
    assert shown["timezone"] == "Europe/Madrid" and shown["quorum_met"] is True
    assert shown["url"].endswith("/groups/climate/decisions#decision-1") and hub.decision_commands.describe
    code, out, _ = cli("decision", "close", "1")
    assert code == 0 and "closed decision #1: Park" in out
    [listed] = json.loads(cli("decision", "list", "climate", "--json")[1])
    assert listed["state"] == "closed" and listed["winners"] == ["Park"]
    assert cli("decision", "close", "1")[0] == 1  # already closed
    code, out, _ = cli("decision", "openers", "climate", "members")
    assert code == 0 and "members may open decisions" in out


def test_bad_decisions_are_refused(cli) -> None:
    """Unknown time zones and unreadable closing times are usage errors (2); a single option fails (1); nothing stored."""
    base = ("decision", "open", "climate", "Q?", "--option", "A", "--option", "B")
    code, _, err = cli(*base, "--closes", "3d", "--timezone", "Mars/Olympus")
    assert code == 2 and "unknown time zone 'Mars/Olympus'" in err
    code, _, err = cli(*base, "--closes", "next friday")
    assert code == 2 and "not a closing time" in err
    code, _, err = cli("decision", "open", "climate", "Q?", "--option", "A", "--closes", "3d")
    assert code == 1 and "2 to 10 options" in err
    code, _, err = cli("decision", "show", "99")
    assert code == 1 and "no decision #99" in err
    assert json.loads(cli("decision", "list", "climate", "--json")[1]) == []
