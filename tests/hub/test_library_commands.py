"""The library CLI on a real database: add a guide, a link and a PDF, list, remove; bad files refused with exit 1."""

from __future__ import annotations

import asyncio
import json

import pytest

import hub.db
import hub.library_commands
from causeway.cli import main
from hub.services.groups import create_group
from tests.hub.test_library import PDF

pytestmark = pytest.mark.db


async def _seed(database_url: str) -> None:
    await hub.db.connect(database_url)
    try:
        await create_group("climate", "Climate")
    finally:
        await hub.db.disconnect()


@pytest.fixture
def cli(database_url: str, tmp_path, monkeypatch, capsys):
    """``cli(*args)`` runs ``hub ARGS`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_DOMAIN", "hub.example")
    asyncio.run(_seed(database_url))

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_library_commands(cli, tmp_path) -> None:
    """Each kind is added from its option; list shows them with their links; remove takes one out."""
    pdf = tmp_path / "flyer.pdf"
    pdf.write_bytes(PDF)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    assert cli("library", "add", "climate", "--title", "How to run a meeting", "--text", "1. Agenda", "--category", "Guides")[0] == 0
    assert cli("library", "add", "climate", "--title", "Tenant rights", "--url", "https://rights.example")[0] == 0
    code, out, _ = cli("library", "add", "climate", "--title", "Flyer", "--file", str(pdf))
    assert code == 0 and "added document #3" in out and "/groups/climate/library" in out
    code, _, err = cli("library", "add", "climate", "--title", "Fake", "--file", str(fake))
    assert code == 1 and "only PDF documents" in err
    code, _, err = cli("library", "add", "climate", "--title", "Both", "--url", "https://x.example", "--file", str(pdf))
    assert code == 2 and "not allowed with" in err
    rows = json.loads(cli("library", "list", "climate", "--json")[1])
    assert [(r["kind"], r["category"]) for r in rows] == [("document", "General"), ("link", "General"), ("guide", "Guides")]
    assert rows[0]["link"].endswith("hub.example/groups/climate/library/3/file")
    assert cli("library", "remove", "2")[0] == 0
    assert [r["id"] for r in json.loads(cli("library", "list", "climate", "--json")[1])] == [3, 1]
    assert cli("library", "remove", "2")[0] == 1 and hub.library_commands.register
