"""The hub CLI's group settings: `hub group create|edit --language --time-zone --city --country`."""

from __future__ import annotations

import asyncio

import pytest

import hub.db
from causeway.cli import main
from hub.models import Group

pytestmark = pytest.mark.db


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch, capsys):
    """``cli(*args)`` runs ``hub ARGS`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_DOMAIN", "hub.example")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def stored(database_url: str, slug: str) -> Group:
    """The group row as the database has it."""
    async def read() -> Group:
        await hub.db.connect(database_url)
        try:
            return await Group.get(slug=slug)
        finally:
            await hub.db.disconnect()
    return asyncio.run(read())


def test_group_settings_from_the_cli(cli, database_url) -> None:
    """Create with a language and zone, then give the city and country; bad values change nothing."""
    code, _, _ = cli("group", "create", "nairobi", "--name", "Nairobi Mutual Aid", "--language", "sw",
                     "--time-zone", "Africa/Nairobi")
    assert code == 0
    code, out, _ = cli("group", "edit", "nairobi", "--city", "Nairobi", "--country", "ke")
    assert code == 0 and "language sw, time zone Africa/Nairobi, Nairobi, KE" in out
    group = stored(database_url, "nairobi")
    assert (group.language, group.time_zone, group.city, group.country) == ("sw", "Africa/Nairobi", "Nairobi", "KE")

    code, _, err = cli("group", "edit", "nairobi", "--language", "tlh")
    assert code == 1 and "language 'tlh' is not one of en, es, pt, de, sw, ar" in err
    code, _, err = cli("group", "edit", "nairobi", "--country", "Kenya")
    assert code == 1 and "two-letter ISO 3166 code" in err
    code, _, err = cli("group", "edit", "nairobi")
    assert code == 2 and "nothing to change" in err
    assert stored(database_url, "nairobi").language == "sw"
