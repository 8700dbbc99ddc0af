"""Tests for hub.organiser_commands: ``hub announcement …`` and ``hub organiser waiting`` run against the database."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from hub import organiser_commands
from hub.cli import CommandLine
from hub.errors import InvalidInput, NotFound
from hub.models import Announcement, Membership
from hub.services.groups import create_group
from hub.settings import load_settings
from tests.hub.campaign_helpers import account

pytestmark = pytest.mark.db


def _cli() -> CommandLine:
    cli = CommandLine()
    organiser_commands.register(cli)
    return cli


async def _run(cli: CommandLine, settings, *argv: str) -> int:
    args = cli.parser.parse_args(list(argv))
    return await args.handler(args, settings)


async def test_post_pin_edit_delete_and_list(db, tmp_path, capsys) -> None:
    """The commands publish with an image and its alt text, pin, edit, delete; list --json shows the state."""
    settings = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    cli = _cli()
    await create_group("aid", "Mutual Aid")
    picture = tmp_path / "hall.png"
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "navy").save(out, "PNG")
    picture.write_bytes(out.getvalue())
    assert await _run(cli, settings, "announcement", "post", "aid", "Assembly Friday", "--summary", "Meeting",
                      "--image", str(picture), "--alt", "The town hall") == 0
    row = await Announcement.get()
    assert await _run(cli, settings, "announcement", "pin", str(row.id)) == 0
    assert await _run(cli, settings, "announcement", "edit", str(row.id), "Assembly Saturday") == 0
    capsys.readouterr()
    assert await _run(cli, settings, "announcement", "list", "aid", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["text"], listed["summary"], listed["pinned"], listed["images"]) == ("Assembly Saturday", None, True, 1)
    assert await _run(cli, settings, "announcement", "delete", str(row.id)) == 0
    capsys.readouterr()
    await _run(cli, settings, "announcement", "list", "aid", "--json")
    assert json.loads(capsys.readouterr().out) == []


async def test_bad_input_is_refused(db, tmp_path) -> None:
    """An image without its --alt, an unknown announcement: errors the CLI turns into exit status 1, nothing stored."""
    settings = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    cli = _cli()
    await create_group("aid", "Mutual Aid")
    with pytest.raises(InvalidInput, match="--alt"):
        await _run(cli, settings, "announcement", "post", "aid", "Hi", "--image", str(tmp_path / "x.png"))
    with pytest.raises(NotFound):
        await _run(cli, settings, "announcement", "delete", "999")
    assert await Announcement.all().count() == 0


async def test_waiting_counts(db, tmp_path, capsys) -> None:
    """``hub organiser waiting --json`` counts the pending join requests."""
    group = await create_group("aid", "Mutual Aid", closed=True)
    await Membership.create(group=group, account=await account("newcomer"), state="pending")
    await _run(_cli(), load_settings({}), "organiser", "waiting", "aid", "--json")
    assert json.loads(capsys.readouterr().out) == {"join_requests": 1, "reports": 0, "held_posts": 0, "gathered_posts": 0}
