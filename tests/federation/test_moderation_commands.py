"""The moderation CLI end to end on a real database: roles, bans, posts, domain blocks, reports and the log."""

from __future__ import annotations

import asyncio
import json

import pytest

import hub.db
from causeway.cli import main
from hub.clock import now
from hub.services import accounts, members, moderation, posts
from hub.services.groups import create_group

pytestmark = pytest.mark.db


async def _seed(database_url: str) -> None:
    await hub.db.connect(database_url)
    try:
        group = await create_group("climate", "Climate")
        for name in ("ann", "bob"):
            who = await accounts.remote_account(f"https://social.example/users/{name}", handle=f"{name}@social.example")
            await members.request_join(group, who, follow_uri=f"https://social.example/follows/{name}", pre_approved=True)
        ann = await members.find_account("ann@social.example")
        draft = posts.PostDraft(uri="https://social.example/notes/1", activity_uri=None, object_type="Note",
                                content_html="<p>hi</p>", visibility="public", published_at=now(), activity_json="{}")
        await posts.submit(group, ann, draft)
        await moderation.receive_report(reporter_uri="https://social.example/actor", group=group, target_uri=ann.uri,
                                        object_uris=[draft.uri], comment="spam", flag_uri="https://social.example/flags/1")
    finally:
        await hub.db.disconnect()


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch, capsys):
    """``cli(*args)`` runs ``hub ARGS`` in-process against a seeded database; returns (exit code, stdout)."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_DOMAIN", "hub.example")
    asyncio.run(_seed(database_url))

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


def test_moderation_commands(cli) -> None:
    """Each command changes what it says and the log shows it; bad input exits 1 with a message."""
    assert cli("member", "role", "climate", "ann@social.example", "moderator")[0] == 0
    code, out = cli("member", "remove", "climate", "bob@social.example", "--ban", "--reason", "spam", "--until", "7d", "--remove-posts")
    assert code == 0 and "banned bob@social.example from climate until" in out
    assert cli("member", "unban", "climate", "bob@social.example", "--reason", "appeal")[0] == 0
    code, out = cli("post", "list", "climate", "--json")
    (post,) = json.loads(out)
    assert cli("post", "remove", str(post["id"]), "--reason", "off topic")[0] == 0
    assert json.loads(cli("post", "list", "climate", "--json")[1])[0]["state"] == "removed"
    assert cli("post", "restore", "https://social.example/notes/1")[0] == 0
    assert cli("domain", "block", "spam.example", "--reason", "spam wave")[0] == 0
    assert cli("domain", "block", "trolls.example", "--group", "climate")[0] == 0
    assert json.loads(cli("domain", "list", "--json")[1]) == [{"domain": "spam.example", "reason": "spam wave"}]
    assert cli("domain", "unblock", "spam.example")[0] == 0
    (report,) = json.loads(cli("report", "list", "climate", "--json")[1])
    assert (report["comment"], report["state"]) == ("spam", "open")
    assert cli("report", "resolve", str(report["id"]), "--reason", "removed")[0] == 0
    assert json.loads(cli("report", "list", "--json")[1]) == []
    assert json.loads(cli("report", "list", "--state", "resolved", "--json")[1])[0]["id"] == report["id"]
    public = json.loads(cli("moderation", "log", "climate", "--public", "--json")[1])
    assert [e["action"] for e in public] == ["domain_block", "restore_post", "remove_post", "unban", "ban", "role"]
    assert "report_resolved" in [e["action"] for e in json.loads(cli("moderation", "log", "climate", "--json")[1])]
    assert [e["action"] for e in json.loads(cli("moderation", "log", "--json")[1])] == ["domain_unblock", "domain_block"]
    assert cli("report", "dismiss", str(report["id"]))[0] == 1
    assert cli("member", "remove", "climate", "ann@social.example", "--until", "7d")[0] == 1
    assert cli("domain", "block", "not a domain")[0] == 1


def test_until_must_be_a_date_or_a_duration(cli, capsys) -> None:
    """A bad --until is a usage error (exit 2) naming what is accepted."""
    with pytest.raises(SystemExit) as exit_info:
        cli("member", "remove", "climate", "bob@social.example", "--ban", "--until", "soonish")
    assert exit_info.value.code == 2
    assert "duration such as 7d" in capsys.readouterr().err

